import Foundation
import GatewayCore
import NIOHTTP1
import Testing

/// Webhook notifications with a real gateway and a real webhook receiver: kill, resume and a
/// schedule step reach a JSON target and a Slack-format target that asked only for kills; a
/// target that refuses connections is retried and counted as failed without delaying a
/// request, an admin call or the ramp.
@Suite("Notifications", .timeLimit(.minutes(1)))
struct NotificationTests {
    @Test func eventsReachTheirTargetsAndADeadTargetDelaysNothing() async throws {
        let receiver = try await TestUpstream.start("webhook")
        let slack = try await TestUpstream.start("slack")
        let dead = try RefusingPort()
        defer { dead.close() }
        let extra = """
            schedule:
              start: \(ISO8601DateFormatter().string(from: Date().addingTimeInterval(-1)))
              steps:
                - { percent: 0, hold: 1s }
                - { percent: 100 }
            notify:
              - { url: "\(receiver.url)/hooks/gateway" }
              - { url: "\(slack.url)/services/T0/B0/x", format: slack, events: [kill] }
              - { url: "http://127.0.0.1:\(dead.port)/hook", events: [kill, step] }
            """
        try await FileHarness.with(percent: 0, extra: extra) { h async throws in
            try await h.waitForStatus("the ramp reaches step 2 on time despite the dead webhook") { $0[path: "schedule.step"] as? Int == 2 }
            #expect(try await h.admin("/admin/kill").status == 200)
            let response = try await TestClient.send(port: h.port, path: "/checkout", headers: [("X-User-Id", "u1")])
            #expect(response.header("X-Checkout-Variant") == "old")
            // The dead target's step message is still being retried (4 tries over 7 s): the ramp,
            // the kill and the request did not wait for it.
            let early = MetricsText(try await TestClient.send(port: h.adminPort, path: "/metrics").text)
            #expect(early.value("gateway_notifications_total", ["result=failed"]) == 0, "nothing waited for the dead webhook")
            #expect(try await h.admin("/admin/resume").status == 200)

            let events = try await waitForEvents(receiver, ["step", "kill", "resume"])
            let kill = try #require(events.first { $0["event"] as? String == "kill" })
            #expect(kill["flag"] as? String == "new-checkout")
            #expect((kill["message"] as? String)?.hasPrefix("new-checkout: kill switch on by peer 127.0.0.1") == true, "\(kill)")
            #expect(kill["time"] is String && kill["replica"] is String)
            #expect(receiver.requests.allSatisfy { $0.method == "POST" && $0.uri == "/hooks/gateway" })

            let slackBodies = try await waitForBodies(slack, count: 1)
            #expect(slackBodies.count == 1, "the Slack target asked for kills only")
            #expect((slackBodies[0]["text"] as? String)?.contains("kill switch on") == true)
            #expect(slackBodies[0].count == 1, "an incoming webhook body is {\"text\": …}")

            // Two messages to the dead target (the step and the kill), each tried 4 times.
            let deadline = ContinuousClock.now + .seconds(30)
            var failed = 0.0
            while failed < 2 && ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(200))
                failed =
                    MetricsText(try await TestClient.send(port: h.adminPort, path: "/metrics").text).value(
                        "gateway_notifications_total", ["result=failed"]) ?? 0
            }
            #expect(failed == 2)
            let metrics = MetricsText(try await TestClient.send(port: h.adminPort, path: "/metrics").text)
            #expect((metrics.value("gateway_notifications_total", ["result=sent"]) ?? 0) >= 4)
        }
        await receiver.shutdown()
        await slack.shutdown()
    }

    private func waitForBodies(_ receiver: TestUpstream, count: Int) async throws -> [[String: Any]] {
        let deadline = ContinuousClock.now + .seconds(5)
        while receiver.requests.count < count && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
        return receiver.requests.compactMap { try? JSONSerialization.jsonObject(with: Data($0.body)) as? [String: Any] }
    }

    private func waitForEvents(_ receiver: TestUpstream, _ names: [String]) async throws -> [[String: Any]] {
        let deadline = ContinuousClock.now + .seconds(5)
        while ContinuousClock.now < deadline {
            let bodies = try await waitForBodies(receiver, count: 0)
            let seen = Set(bodies.compactMap { $0["event"] as? String })
            if names.allSatisfy(seen.contains) { return bodies }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw WaitTimeout(what: "webhook events \(names)")
    }

    /// A fleet sends each event once: the ramp leader speaks for it, whichever replica was asked.
    @Test func aFleetSendsEachEventOnceFromItsLeader() async throws {
        let receiver = try await TestUpstream.start("webhook")
        let etcd = try await EtcdCluster.start()
        defer { etcd.stop() }
        let fleet = try await FleetHarness.make(etcd: etcd, extra: "notify: [{ url: \"\(receiver.url)/hook\" }]")
        defer { fleet.killAll() }
        let leader = try await fleet.launchReplica()
        try await fleet.waitUntil("the first replica leads", within: .seconds(5)) {
            try await fleet.status(leader)[path: "fleet.leading"] as? Bool == true
        }
        let other = try await fleet.launchReplica()
        try await fleet.waitUntil("the second replica knows the state", within: .seconds(5)) { try await fleet.variant(other) == "new" }
        #expect(try await fleet.admin(other, "/admin/kill").status == 200, "asked on the replica that does not lead")
        #expect(try await fleet.admin(other, "/admin/resume").status == 200)
        let events = try await waitForEvents(receiver, ["kill", "resume"])
        #expect(events.filter { $0["event"] as? String == "kill" }.count == 1, "one kill message for the fleet: \(events)")
        let replica = try #require(events.first { $0["event"] as? String == "kill" }?["replica"] as? String)
        #expect(try await fleet.status(leader)[path: "fleet.this_replica"] as? String == replica, "sent by the leader")
        await fleet.stop([leader, other])
        await receiver.shutdown()
    }
}
