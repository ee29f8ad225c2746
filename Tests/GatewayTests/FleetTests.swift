import Foundation
import Testing

/// One rollout state for the fleet (docs/architecture.md, "Rollout state"): several real gateway
/// processes share a real etcd; a kill or resume on any replica is the fleet's, and nothing a
/// replica does on its own (a restart, a late start) can undo one.
@Suite("Fleet state in etcd", .serialized, .timeLimit(.minutes(2)))
struct FleetTests {
    @Test func killOnOneReplicaReachesEveryReplicaAndResumeOnAnotherUndoesIt() async throws {
        let etcd = try await EtcdCluster.start()
        defer { etcd.stop() }
        let fleet = try await FleetHarness.make(etcd: etcd)
        var replicas: [GatewayProcess] = []
        for _ in 0..<3 { replicas.append(try await fleet.launchReplica()) }
        for replica in replicas {
            try await fleet.waitUntil("every replica serves new at 100%", within: .seconds(5)) { try await fleet.variant(replica) == "new" }
        }

        #expect(try await fleet.admin(replicas[0], "/admin/kill").status == 200)
        for replica in replicas.dropFirst() {
            let took = try await fleet.waitUntil("the kill reaches another replica", within: .seconds(2)) { try await fleet.variant(replica) == "old" }
            print("kill propagation: \(took)")
        }
        let status = try await fleet.status(replicas[2])
        #expect(status[path: "flag.killed"] as? Bool == true)
        #expect((status[path: "flag.killed_by"] as? String)?.hasPrefix("peer ") == true, "the audit trail names who killed")

        #expect(try await fleet.admin(replicas[2], "/admin/resume").status == 200)
        for replica in replicas {
            try await fleet.waitUntil("the resume reaches every replica", within: .seconds(2)) { try await fleet.variant(replica) == "new" }
        }
        #expect(replicas[0].log.contains(#""audit":"kill""#))
        #expect(replicas[2].log.contains(#""audit":"resume""#))
        await fleet.stop(replicas)
    }

    @Test func aReplicaStartedAfterTheKillAndARestartedOneServeOldFromTheirFirstRequest() async throws {
        let etcd = try await EtcdCluster.start()
        defer { etcd.stop() }
        let fleet = try await FleetHarness.make(etcd: etcd)
        let first = try await fleet.launchReplica()
        try await fleet.waitUntil("serving new", within: .seconds(5)) { try await fleet.variant(first) == "new" }
        #expect(try await fleet.admin(first, "/admin/kill").status == 200)

        let late = try await fleet.launchReplica()
        #expect(try await fleet.variant(late) == "old", "a replica started after the kill")
        first.signal(SIGTERM)
        _ = try await first.exitStatus()
        let restarted = try await fleet.launchReplica()
        #expect(try await fleet.variant(restarted) == "old", "a restarted replica")
        #expect(fleet.new.requests.count == 1, "only the request before the kill reached new")
        await fleet.stop([late, restarted])
    }
}
