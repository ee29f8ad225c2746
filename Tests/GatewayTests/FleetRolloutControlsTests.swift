import Foundation
import GatewayCore
import NIOHTTP1
import Testing

/// The rollout controls on a fleet (real gateway processes, a real etcd, a real Prometheus): a
/// shadow step judged on the mirrored traffic of every replica, and Prometheus checks asked and
/// judged by the ramp leader alone.
@Suite("Rollout controls on a fleet", .timeLimit(.minutes(2)))
struct FleetRolloutControlsTests {
    private func startLeaderAndFollower(_ fleet: FleetHarness) async throws -> (GatewayProcess, GatewayProcess) {
        let leader = try await fleet.launchReplica()
        try await fleet.waitUntil("the first replica leads", within: .seconds(5)) {
            try await fleet.status(leader)[path: "fleet.leading"] as? Bool == true
        }
        let follower = try await fleet.launchReplica()
        try await fleet.waitUntil("the second replica knows the state", within: .seconds(5)) {
            try await fleet.status(follower)[path: "schedule.step"] as? Int == 1
        }
        return (leader, follower)
    }

    @Test func aShadowStepIsJudgedOnTheMirrorsOfEveryReplica() async throws {
        let etcd = try await EtcdCluster.start()
        defer { etcd.stop() }
        let schedule = """
            schedule:
              start: 2020-01-01T00:00:00Z
              steps:
                - { shadow: true, hold: 1s }
                - { percent: 100 }
            guardrails:
              window: 30s
              min_requests: 10
              max_p99_ratio: 1000
            """
        let fleet = try await FleetHarness.make(etcd: etcd, percent: 0, extra: schedule)
        defer { fleet.killAll() }
        let (leader, follower) = try await startLeaderAndFollower(fleet)
        // Five shoppers on each replica: neither alone has the 10 requests on new a verdict needs.
        for index in 0..<5 {
            #expect(try await fleet.variant(leader, user: "a\(index)") == "old")
            #expect(try await fleet.variant(follower, user: "b\(index)") == "old")
        }
        #expect(fleet.new.requests.allSatisfy { $0.headers["X-Checkout-Shadow"] == ["1"] }, "new saw mirrors only")
        for replica in [leader, follower] {
            try await fleet.waitUntil("the fleet's summed mirrors move the ramp on", within: .seconds(10)) {
                try await fleet.status(replica)[path: "schedule.step"] as? Int == 2
            }
        }
        try await fleet.waitUntil("the follower serves the new step", within: .seconds(5)) { try await fleet.variant(follower, user: "b0") == "new" }
        await fleet.stop([leader, follower])
    }

    @Test func prometheusChecksAreJudgedByTheLeader() async throws {
        guard PrometheusServer.isInstalled else { throw ProcessFailure(description: "prometheus is not installed (scripts/install-deps)") }
        let etcd = try await EtcdCluster.start()
        defer { etcd.stop() }
        let port = try FreePort.find()
        let schedule = """
            schedule:
              start: 2020-01-01T00:00:00Z
              steps:
                - { percent: 100, hold: 1s }
                - { percent: 100 }
            guardrails:
              window: 30s
              min_requests: 5
              max_p99_ratio: 1000
              prometheus:
                url: http://127.0.0.1:\(port)
                interval: 1s
                checks:
                  - { name: replicas up, query: 'up{job="checkout-gateway"}', min: 1 }
            """
        let fleet = try await FleetHarness.make(etcd: etcd, percent: 0, extra: schedule)
        defer { fleet.killAll() }
        let (leader, follower) = try await startLeaderAndFollower(fleet)
        let prometheus = try await PrometheusServer.start(port: port, scraping: ["127.0.0.1:\(leader.adminPort)", "127.0.0.1:\(follower.adminPort)"])
        defer { prometheus.stop() }
        for index in 0..<10 { _ = try await fleet.variant(index % 2 == 0 ? leader : follower, user: "u\(index)") }
        for replica in [leader, follower] {
            try await fleet.waitUntil("the leader's go from Prometheus moves the fleet on", within: .seconds(20)) {
                try await fleet.status(replica)[path: "schedule.step"] as? Int == 2
            }
        }
        #expect(try await fleet.status(leader)[path: "guardrails.prometheus.verdict"] as? String == "go")
        #expect(try await fleet.status(follower)[path: "guardrails.prometheus"] == nil, "only the leader asks and judges")
        await fleet.stop([leader, follower])
    }
}
