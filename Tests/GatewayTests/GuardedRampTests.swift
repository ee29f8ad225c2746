import Foundation
import Gateway
import GatewayCore
import NIOHTTP1
import Testing

@Suite("Guarded ramp end to end", .timeLimit(.minutes(1)))
struct GuardedRampTests {
    static let ramp = """
        schedule:
          start: 2020-01-01T00:00:00Z
          steps:
            - { percent: 50, hold: 1h }
            - { percent: 100 }
        guardrails:
          window: 30s
          min_requests: 20
          max_error_rate: 0.1
          max_p99_ratio: 1000     # latency on a busy test machine is noise; this test is about errors
          action: rollback
        """

    private static func expected(_ user: String) -> String {
        Bucketing.isIn(bucket: Bucketing.bucket(groupID: "new-checkout", identity: user), percent: 50) ? "new" : "old"
    }

    @Test func rampsThenRollsItselfBackAndStaysRolledBackUntilResumed() async throws {
        let state = TemporaryFiles.path("state.json")
        try await FileHarness.with(percent: 0, stateFile: state, extra: Self.ramp) { h async throws in
            let status = try await h.status()
            #expect(status[path: "schedule.step"] as? Int == 1)
            #expect(status[path: "flag.percent_effective"] as? Int == 50, "the first step is due: flag.percent (0) no longer governs")
            var sawNew = 0
            for index in 0..<60 {
                let user = "shopper-\(index)"
                let response = try await TestClient.send(port: h.port, path: "/checkout", headers: [("X-User-Id", user)])
                #expect(response.header("X-Checkout-Variant") == Self.expected(user), "\(user)")
                if response.header("X-Checkout-Variant") == "new" { sawNew += 1 }
            }
            #expect(sawNew > 10 && sawNew < 50)

            h.new.set(.respond(status: 500, body: nil, headers: []))
            var latched = false
            var index = 0
            while !latched && index < 400 {
                let user = "shopper-\(index)"
                let response = try await TestClient.send(port: h.port, path: "/checkout", headers: [("X-User-Id", user)])
                #expect(response.status == 200, "fallback covers the requests before the latch")
                #expect(response.text == "old")
                index += 1
                if index % 10 == 0 { latched = try await h.status()[path: "flag.latched"] as? Bool == true }
            }
            #expect(latched)
            let newRequestsAtLatch = h.new.requests.count
            for index in 0..<40 {
                let response = try await TestClient.send(port: h.port, path: "/checkout", headers: [("X-User-Id", "shopper-\(index)")])
                #expect(response.header("X-Checkout-Variant") == "old")
            }
            #expect(h.new.requests.count == newRequestsAtLatch, "after the latch nothing reaches new")
            let after = try await h.status()
            #expect((after[path: "flag.latch_reason"] as? String)?.hasPrefix("error rate on new") == true)
            let metrics = MetricsText(try await TestClient.send(port: h.adminPort, path: "/metrics").text)
            #expect(metrics.value("gateway_rollback_latched") == 1)
            #expect((metrics.value("gateway_fallbacks_total", ["cause=5xx"]) ?? 0) > 0)

            // A reload with the schedule unchanged keeps the latch and the step.
            try h.rewrite(percent: 5, extra: Self.ramp, stateFile: state)
            try await h.waitForStatus("the reload") { ($0[path: "flag.percent_configured"] as? Int) == 5 }
            let reloaded = try await h.status()
            #expect(reloaded[path: "flag.latched"] as? Bool == true)
            #expect(reloaded[path: "schedule.step"] as? Int == 1)
        }

        try await FileHarness.with(percent: 0, stateFile: state, extra: Self.ramp) { h async throws in
            let response = try await TestClient.send(port: h.port, path: "/checkout", headers: [("X-User-Id", "shopper-1")])
            #expect(response.header("X-Checkout-Variant") == "old")
            #expect(try await h.status()[path: "flag.latched"] as? Bool == true, "the latch survives a restart")
            #expect(h.new.requests.isEmpty)

            // `explain` reads the same state file and so agrees with the running gateway.
            let config = try ConfigLoader.load(path: h.configPath)
            let offline = OfflineFlagState.load(config: config)
            #expect(offline.latched && offline.effectivePercent == 50)
            let explained = Explanation(
                config: config, identity: "shopper-1", headers: [], path: "/checkout", method: "GET", state: offline, overrideToken: nil)
            #expect(explained.variant == .old)
            #expect(explained.decision?.reason == .rolledBack)

            let resume = try await h.admin("/admin/resume")
            #expect(resume.status == 200)
            for index in 0..<30 {
                let user = "shopper-\(index)"
                let answer = try await TestClient.send(port: h.port, path: "/checkout", headers: [("X-User-Id", user)])
                #expect(answer.header("X-Checkout-Variant") == Self.expected(user), "the ramp continues at its step")
            }
            #expect(try await h.status()[path: "schedule.step"] as? Int == 1)
            let resumed = OfflineFlagState.load(config: try ConfigLoader.load(path: h.configPath))
            #expect(!resumed.latched && resumed.effectivePercent == 50)
        }
    }

    @Test func conversionsAreCountedPerVariant() async throws {
        let conversion = """
            guardrails:
              conversion:
                start: { path_prefix: /checkout, method: GET }
                done: { path_prefix: /checkout/orders, method: POST }
            """
        try await FileHarness.with(percent: 100, extra: conversion) { h async throws in
            _ = try await TestClient.send(port: h.port, path: "/checkout", headers: [("X-User-Id", "a")])
            _ = try await TestClient.send(port: h.port, path: "/checkout", headers: [("X-User-Id", "b")])
            _ = try await TestClient.send(port: h.port, method: .POST, path: "/checkout/orders", headers: [("X-User-Id", "a")], body: [1])
            let metrics = MetricsText(try await TestClient.send(port: h.adminPort, path: "/metrics").text)
            #expect(metrics.value("gateway_conversions_total", ["variant=new", "stage=start"]) == 2)
            #expect(metrics.value("gateway_conversions_total", ["variant=new", "stage=done"]) == 1)

            // A retried order (same Idempotency-Key, on a new connection) is one conversion; another
            // order of the same shopper is another.
            for key in ["order-1", "order-1", "order-1", "order-2"] {
                let placed = try await TestClient.send(
                    port: h.port, method: .POST, path: "/checkout/orders", headers: [("X-User-Id", "b"), ("Idempotency-Key", key)], body: [1])
                #expect(placed.status == 200)
            }
            let after = MetricsText(try await TestClient.send(port: h.adminPort, path: "/metrics").text)
            #expect(after.value("gateway_conversions_total", ["variant=new", "stage=done"]) == 3, "1 without a key + order-1 once + order-2")
            #expect(after.value("gateway_order_keys_total", ["result=first"]) == 2)
            #expect(after.value("gateway_order_keys_total", ["result=repeat"]) == 2)
            #expect(after.value("gateway_order_keys_total", ["result=unchecked"]) == 0)
            // /status shows the windows of the ramp's last evaluation (each second) once there is one.
            try await h.waitForStatus("the ramp's window counts the orders") { status in
                status[path: "guardrails.conversion.new_starts"] as? Int == 2 && status[path: "guardrails.conversion.new_dones"] as? Int == 3
            }
            let status = try await h.status()
            #expect(status[path: "guardrails.conversion.p_value"] is Double)
            #expect(status[path: "guardrails.conversion.confidence"] as? Double == 0.95)
        }
    }
}
