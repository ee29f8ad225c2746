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

    @Test func aRetriedOrderCountsOnceAcrossReplicasAndRestarts() async throws {
        let etcd = try await EtcdCluster.start()
        defer { etcd.stop() }
        let conversion = """
            guardrails:
              window: 60s
              conversion:
                start: { path_prefix: /checkout, method: GET }
                done: { path_prefix: /checkout/orders, method: POST }
            """
        let fleet = try await FleetHarness.make(etcd: etcd, percent: 100, extra: conversion)
        defer { fleet.killAll() }
        let leader = try await fleet.launchReplica()
        try await fleet.waitUntil("the first replica leads", within: .seconds(5)) {
            try await fleet.status(leader)[path: "fleet.leading"] as? Bool == true
        }
        let follower = try await fleet.launchReplica()
        try await fleet.waitUntil("the second replica knows the state", within: .seconds(5)) { try await fleet.variant(follower) == "new" }
        func order(_ replica: GatewayProcess, _ key: String) async throws {
            let placed = try await TestClient.send(
                port: replica.publicPort, method: .POST, path: "/checkout/orders", headers: [("X-User-Id", "s"), ("Idempotency-Key", key)],
                body: [1])
            #expect(placed.status == 200)
        }
        func orderKeys(_ replica: GatewayProcess) async throws -> [String: Double] {
            let metrics = MetricsText(try await TestClient.send(port: replica.adminPort, path: "/metrics").text)
            var counts: [String: Double] = [:]
            for result in ["first", "repeat", "unchecked"] { counts[result] = metrics.value("gateway_order_keys_total", ["result=\(result)"]) }
            return counts
        }

        try await order(leader, "order-1")
        try await fleet.waitUntil("the leader's order is recorded", within: .seconds(5)) { try await orderKeys(leader)["first"] == 1 }
        // The shopper's retry lands on the other replica: etcd says it is a repeat. The second
        // retry there is a repeat this replica knows itself; another order is a first.
        for key in ["order-1", "order-1", "order-2"] { try await order(follower, key) }
        try await fleet.waitUntil("the follower judges its three orders", within: .seconds(5)) {
            try await orderKeys(follower) == ["first": 1, "repeat": 2, "unchecked": 0]
        }
        try await fleet.waitUntil("the leader's fleet-wide window counts two orders", within: .seconds(10)) {
            try await fleet.status(leader)[path: "guardrails.conversion.new_dones"] as? Int == 2
        }

        // A replica started after the orders (no keys of its own) still knows the retry.
        follower.signal(SIGTERM)
        _ = try await follower.exitStatus()
        let restarted = try await fleet.launchReplica()
        try await fleet.waitUntil("the new replica knows the state", within: .seconds(5)) { try await fleet.variant(restarted) == "new" }
        try await order(restarted, "order-2")
        try await fleet.waitUntil("the restarted replica asks etcd", within: .seconds(5)) {
            try await orderKeys(restarted) == ["first": 0, "repeat": 1, "unchecked": 0]
        }
        let metrics = MetricsText(try await TestClient.send(port: restarted.adminPort, path: "/metrics").text)
        #expect(metrics.value("gateway_conversions_total", ["variant=new", "stage=done"]) == 0, "a retry is no conversion")
        await fleet.stop([leader, restarted])
    }
}
