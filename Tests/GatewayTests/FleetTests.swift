import Foundation
import NIOConcurrencyHelpers
import Testing

/// One rollout state for the fleet (docs/architecture.md, "Rollout state"): several real gateway
/// processes share a real etcd; a kill or resume on any replica is the fleet's, and nothing a
/// replica does on its own (a restart, a late start) can undo one.
@Suite("Fleet state in etcd", .serialized, .timeLimit(.minutes(2)))
struct FleetTests {
    /// Guardrails that roll back as soon as new's error rate passes 5% over `minRequests`.
    static func guardrails(minRequests: Int) -> String {
        """
        guardrails:
          window: 1m
          min_requests: \(minRequests)
          max_error_rate: 0.05
          action: rollback
        """
    }

    @Test func killOnOneReplicaReachesEveryReplicaAndResumeOnAnotherUndoesIt() async throws {
        let etcd = try await EtcdCluster.start()
        defer { etcd.stop() }
        let fleet = try await FleetHarness.make(etcd: etcd)
        defer { fleet.killAll() }
        var replicas: [GatewayProcess] = []
        for _ in 0..<3 { replicas.append(try await fleet.launchReplica()) }
        for replica in replicas {
            try await fleet.waitUntil("every replica serves new at 100%", within: .seconds(5)) { try await fleet.variant(replica) == "new" }
        }

        #expect(try await fleet.admin(replicas[0], "/admin/kill").status == 200)
        for replica in replicas.dropFirst() {
            let took = try await fleet.waitUntil("the kill reaches another replica", within: .seconds(2)) {
                try await fleet.variant(replica) == "old"
            }
            print("kill propagation: \(took)")
        }
        let status = try await fleet.status(replicas[2])
        #expect(status[path: "flag.killed"] as? Bool == true)
        #expect((status[path: "flag.killed_by"] as? String)?.hasPrefix("peer ") == true, "the audit trail names who killed")

        #expect(try await fleet.admin(replicas[2], "/admin/resume").status == 200)
        for replica in replicas {
            try await fleet.waitUntil("the resume reaches every replica", within: .seconds(2)) { try await fleet.variant(replica) == "new" }
        }
        try await fleet.waitUntil("every replica's heartbeat is seen", within: .seconds(5)) {
            (try await fleet.status(replicas[1])[path: "fleet.replicas"] as? [Any])?.count == 3
        }
        let summary = try await GatewayProcess.run(arguments: ["status", "--admin", "http://127.0.0.1:\(replicas[1].adminPort)"])
        #expect(summary.status == 0)
        #expect(summary.stdout.contains("state: etcd up, revision "), "\(summary.stdout)")
        #expect(summary.stdout.contains("fleet: 3 replicas, leader "), "\(summary.stdout)")
        #expect(summary.stdout.contains("(this one)"), "\(summary.stdout)")
        #expect(!summary.stdout.contains("config hashes"), "one config file, one hash")
        #expect(replicas[0].log.contains(#""audit":"kill""#))
        #expect(replicas[2].log.contains(#""audit":"resume""#))
        await fleet.stop(replicas)
    }

    @Test func aReplicaStartedAfterTheKillAndARestartedOneServeOldFromTheirFirstRequest() async throws {
        let etcd = try await EtcdCluster.start()
        defer { etcd.stop() }
        let fleet = try await FleetHarness.make(etcd: etcd)
        defer { fleet.killAll() }
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

    /// Each replica sees fewer requests than `min_requests`, so none could judge alone; the
    /// leader judges the sum, latches, and the whole fleet stops sending anything to new.
    @Test func theFleetLatchesOnTheSumOfItsReplicasWindows() async throws {
        let etcd = try await EtcdCluster.start()
        defer { etcd.stop() }
        let fleet = try await FleetHarness.make(etcd: etcd, extra: Self.guardrails(minRequests: 30))
        defer { fleet.killAll() }
        fleet.new.set(.respond(status: 500, body: nil, headers: []))
        var replicas: [GatewayProcess] = []
        for _ in 0..<3 { replicas.append(try await fleet.launchReplica()) }
        for replica in replicas {
            try await fleet.waitUntil("the replica knows the state", within: .seconds(5)) {
                try await fleet.status(replica)[path: "flag.state_unknown"] == nil
            }
        }
        for (index, replica) in replicas.enumerated() {
            for request in 0..<12 {
                let answer = try await TestClient.send(port: replica.publicPort, path: "/checkout", headers: [("X-User-Id", "u\(index)-\(request)")])
                #expect(answer.status == 200, "new failed, old answered")
            }
        }
        for replica in replicas {
            try await fleet.waitUntil("the fleet latches", within: .seconds(10)) {
                try await fleet.status(replica)[path: "flag.latched"] as? Bool == true
            }
        }
        let reason = try await fleet.status(replicas[1])[path: "flag.latch_reason"] as? String ?? ""
        // "(34 of 34 requests …)": at least min_requests, which no replica's 12 could reach alone.
        let judged = reason.split(separator: "(").last.flatMap { $0.split(separator: " ").first }.flatMap { Int($0) } ?? 0
        #expect(judged >= 30 && judged <= 36, "judged on the sum of the three windows: \(reason)")
        let seenByNew = fleet.new.requests.count
        for replica in replicas {
            for request in 0..<5 {
                let answer = try await TestClient.send(port: replica.publicPort, path: "/checkout", headers: [("X-User-Id", "after-\(request)")])
                #expect(answer.status == 200 && answer.header("X-Checkout-Variant") == "old")
            }
        }
        #expect(fleet.new.requests.count == seenByNew, "no replica sends new anything after the latch")
        await fleet.stop(replicas)
    }

    /// Never undo a rollback by restarting: a replica that cannot read the state serves everyone
    /// old and stays ready; once etcd answers it follows the fleet; when etcd is lost again it
    /// keeps the last state it read and answers every request.
    @Test func etcdDownAtStartThenBackThenLost() async throws {
        let etcd = try EtcdCluster.planned()
        defer { etcd.stop() }
        let fleet = try await FleetHarness.make(etcd: etcd)
        defer { fleet.killAll() }
        let replica = try await fleet.launchReplica()
        #expect(try await TestClient.send(port: replica.adminPort, path: "/readyz").status == 200)
        #expect(try await fleet.variant(replica) == "old")
        let unknown = try await fleet.status(replica)
        #expect(unknown[path: "flag.state_unknown"] as? Bool == true)
        let metrics = MetricsText(try await TestClient.send(port: replica.adminPort, path: "/metrics").text)
        #expect(metrics.value("gateway_state_store_up") == 0)

        try await etcd.startAll()
        let took = try await fleet.waitUntil("the replica follows the fleet once etcd answers", within: .seconds(5)) {
            try await fleet.variant(replica) == "new"
        }
        print("state read after etcd came back: \(took)")

        etcd.kill(member: 0)
        try await fleet.waitUntil("the replica notices etcd is gone", within: .seconds(5)) {
            MetricsText(try await TestClient.send(port: replica.adminPort, path: "/metrics").text).value("gateway_state_store_up") == 0
        }
        for user in 0..<50 {
            let answer = try await TestClient.send(port: replica.publicPort, path: "/checkout", headers: [("X-User-Id", "u\(user)")])
            #expect(answer.status == 200 && answer.header("X-Checkout-Variant") == "new", "the last state read still holds")
        }
        await fleet.stop([replica])
    }

    /// The schedule lives in etcd; only the leader advances it. When the leader dies mid-hold,
    /// another replica takes the lease-bound leadership and advances the step on time.
    @Test func whenTheLeaderDiesMidHoldAnotherReplicaContinuesTheSchedule() async throws {
        let etcd = try await EtcdCluster.start()
        defer { etcd.stop() }
        let start = ISO8601DateFormatter().string(from: Date().addingTimeInterval(-1))
        let schedule = """
            schedule:
              start: \(start)
              steps:
                - { percent: 0, hold: 5s }
                - { percent: 100 }
            """
        let fleet = try await FleetHarness.make(etcd: etcd, extra: schedule)
        defer { fleet.killAll() }
        let first = try await fleet.launchReplica()
        try await fleet.waitUntil("the first replica leads", within: .seconds(5)) {
            try await fleet.status(first)[path: "fleet.leading"] as? Bool == true
        }
        let second = try await fleet.launchReplica()
        try await fleet.waitUntil("the schedule's first step is stored", within: .seconds(5)) {
            try await fleet.status(second)[path: "schedule.step"] as? Int == 1
        }
        let entered = try #require(ISO8601DateFormatter().date(from: try await fleet.status(second)[path: "schedule.entered_at"] as? String ?? ""))
        #expect(try await fleet.variant(second) == "old")
        first.signal(SIGKILL)
        _ = try await first.exitStatus()

        try await fleet.waitUntil("the survivor leads and advances", within: .seconds(12)) {
            try await fleet.variant(second) == "new"
        }
        let status = try await fleet.status(second)
        #expect(status[path: "fleet.leading"] as? Bool == true)
        #expect(status[path: "schedule.step"] as? Int == 2)
        let advanced = try #require(ISO8601DateFormatter().date(from: status[path: "schedule.entered_at"] as? String ?? ""))
        let late = advanced.timeIntervalSince(entered) - 5
        print("step 2 entered \(late) s after its hold ended")
        #expect(late >= 0 && late < 3, "on time: the hold ended \(late) s before the step advanced")
        await fleet.stop([second])
    }

    /// One etcd member of three lost: kill and resume still propagate, while requests flow and
    /// none fails because of a state change.
    @Test func withOneMemberOfThreeLostKillAndResumeStillPropagateUnderLoad() async throws {
        let etcd = try await EtcdCluster.start(size: 3)
        defer { etcd.stop() }
        let fleet = try await FleetHarness.make(etcd: etcd)
        defer { fleet.killAll() }
        let a = try await fleet.launchReplica()
        let b = try await fleet.launchReplica()
        for replica in [a, b] {
            try await fleet.waitUntil("serving new", within: .seconds(5)) { try await fleet.variant(replica) == "new" }
        }
        etcd.kill(member: 0)

        let ports = [a.publicPort, b.publicPort]
        let progress = NIOLockedValueBox((stop: false, sent: 0))
        let load = Task {
            var statuses: [Int: Int] = [:]
            for index in 0..<20_000 where !progress.withLockedValue({ $0.stop }) {
                let answer = try await TestClient.send(port: ports[index % 2], path: "/checkout", headers: [("X-User-Id", "load-\(index)")])
                statuses[answer.status, default: 0] += 1
                progress.withLockedValue { $0.sent += 1 }
            }
            return statuses
        }
        /// Lets the load send `count` more requests, so every state change happens under load.
        func moreLoad(_ count: Int) async throws {
            let target = progress.withLockedValue { $0.sent } + count
            try await fleet.waitUntil("\(count) more requests under load", within: .seconds(10)) { progress.withLockedValue { $0.sent } >= target }
        }
        try await moreLoad(20)
        #expect(try await fleet.admin(a, "/admin/kill").status == 200)
        let killTook = try await fleet.waitUntil("the kill reaches b", within: .seconds(2)) { try await fleet.variant(b) == "old" }
        try await moreLoad(20)
        #expect(try await fleet.admin(b, "/admin/resume").status == 200)
        let resumeTook = try await fleet.waitUntil("the resume reaches a", within: .seconds(2)) { try await fleet.variant(a) == "new" }
        try await moreLoad(20)
        print("with a member lost: kill \(killTook), resume \(resumeTook)")
        progress.withLockedValue { $0.stop = true }
        let statuses = try await load.value
        #expect(statuses.keys.allSatisfy { $0 == 200 }, "every request answered 200: \(statuses)")
        await fleet.stop([a, b])
    }

    /// A replica cut off from etcd advances nothing but still protects shoppers: it latches on
    /// its own traffic, and the latch reaches etcd — and every replica — once etcd is back.
    @Test func aReplicaCutOffFromEtcdLatchesOnItsOwnTrafficAndTheLatchIsWrittenLater() async throws {
        let etcd = try await EtcdCluster.start()
        defer { etcd.stop() }
        let fleet = try await FleetHarness.make(etcd: etcd, extra: Self.guardrails(minRequests: 10))
        defer { fleet.killAll() }
        let replica = try await fleet.launchReplica()
        try await fleet.waitUntil("serving new", within: .seconds(5)) { try await fleet.variant(replica) == "new" }
        etcd.kill(member: 0)
        try await fleet.waitUntil("etcd is seen gone", within: .seconds(5)) {
            try await fleet.status(replica)[path: "fleet.store_up"] as? Bool == false
        }
        fleet.new.set(.respond(status: 500, body: nil, headers: []))
        for user in 0..<15 {
            #expect(try await TestClient.send(port: replica.publicPort, path: "/checkout", headers: [("X-User-Id", "u\(user)")]).status == 200)
        }
        try await fleet.waitUntil("the replica latches on its own traffic", within: .seconds(5)) {
            try await fleet.status(replica)[path: "flag.latched"] as? Bool == true
        }
        #expect(try await fleet.variant(replica) == "old")

        try await etcd.restart(member: 0)
        let other = try await fleet.launchReplica()
        try await fleet.waitUntil("the latch reached etcd and the new replica", within: .seconds(5)) {
            try await fleet.status(other)[path: "flag.latched"] as? Bool == true
        }
        let reason = try await fleet.status(other)[path: "flag.latch_reason"] as? String ?? ""
        #expect(reason.contains("judged locally while the state store was unreachable"), "\(reason)")
        await fleet.stop([replica, other])
    }
}
