import Foundation
import GatewayCore
import NIOHTTP1
import Testing

/// Shadow traffic with a real gateway and upstreams: copies of safe requests of shoppers served
/// by old reach new after the shopper's answer, are compared and counted, never include an
/// unsafe method, never delay the shopper, are dropped under pressure, stop on a kill; and a
/// `shadow: true` schedule step judges new on mirrored traffic before any shopper sees it.
@Suite("Shadow traffic", .timeLimit(.minutes(1)))
struct ShadowTrafficTests {
    private func shadowCounts(_ h: Harness) async throws -> [String: Double] {
        let metrics = MetricsText(try await TestClient.send(port: h.adminPort, path: "/metrics").text)
        var counts: [String: Double] = [:]
        for result in ["match", "status_mismatch", "body_mismatch", "error", "dropped"] {
            counts[result] = metrics.value("gateway_shadow_requests_total", ["result=\(result)"]) ?? -1
        }
        return counts
    }

    private func waitForRequests(_ upstream: TestUpstream, count: Int) async throws {
        let deadline = ContinuousClock.now + .seconds(5)
        while upstream.requests.count < count {
            guard ContinuousClock.now < deadline else { throw WaitTimeout(what: "\(count) requests at \(upstream.name)") }
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    private func waitForShadows(_ h: Harness, _ condition: ([String: Double]) -> Bool) async throws -> [String: Double] {
        let deadline = ContinuousClock.now + .seconds(5)
        while ContinuousClock.now < deadline {
            let counts = try await shadowCounts(h)
            if condition(counts) { return counts }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw WaitTimeout(what: "shadow counts")
    }

    @Test func safeRequestsOfOldShoppersAreMirroredComparedAndNeverDelayThem() async throws {
        try await Harness.with(configure: {
            $0.flag.percent = 0
            $0.shadow = ShadowConfig(percent: 100)
        }) { h async throws in
            #expect(try await shadowCounts(h) == ["match": 0, "status_mismatch": 0, "body_mismatch": 0, "error": 0, "dropped": 0])
            // New never answers: the shopper's answer comes all the same (it never waits for the mirror).
            h.new.set(.hang)
            let answer = try await h.get("/checkout", headers: [("X-User-Id", "u0")])
            #expect(answer.status == 200 && answer.header("X-Checkout-Variant") == "old")
            try await waitForRequests(h.new, count: 1)
            h.new.set(.respond(status: 200, body: nil, headers: []))
            _ = try await h.get("/checkout", headers: [("X-User-Id", "u1")])
            let counts = try await waitForShadows(h) { $0["body_mismatch"] == 1 }
            #expect(counts["match"] == 0, "old and new answer different bodies here")
            let mirrored = try #require(h.new.requests.last)
            #expect(mirrored.method == "GET" && mirrored.uri == "/checkout")
            #expect(mirrored.headers["X-Checkout-Shadow"] == ["1"])

            h.new.set(.respond(status: 200, body: "old", headers: []))
            _ = try await h.get("/checkout", headers: [("X-User-Id", "u2")])
            _ = try await waitForShadows(h) { $0["match"] == 1 }
            h.new.set(.respond(status: 503, body: nil, headers: []))
            _ = try await h.get("/checkout", headers: [("X-User-Id", "u3")])
            _ = try await waitForShadows(h) { $0["status_mismatch"] == 1 }

            let before = h.new.requests.count
            let post = try await TestClient.send(port: h.port, method: .POST, path: "/checkout/orders", headers: [("X-User-Id", "u4")], body: [1])
            #expect(post.header("X-Checkout-Variant") == "old")
            #expect(try await h.get("/checkout", headers: [("X-User-Id", "u5")]).status == 200)
            _ = try await waitForShadows(h) { $0["status_mismatch"] == 2 }
            #expect(h.new.requests.count == before + 1, "the POST was never mirrored, the GET after it was")
            #expect(h.new.requests.allSatisfy { $0.method == "GET" })

            #expect(try await TestClient.send(port: h.adminPort, method: .POST, path: "/admin/kill", body: []).status == 200)
            let countsAtKill = try await shadowCounts(h)
            _ = try await h.get("/checkout", headers: [("X-User-Id", "u6")])
            #expect(try await shadowCounts(h) == countsAtKill, "a kill stops mirroring too")
        }
    }

    @Test func copiesBeyondTheLimitAreDropped() async throws {
        try await Harness.with(
            configure: {
                $0.flag.percent = 0
                var shadow = ShadowConfig(percent: 100)
                shadow.maxConcurrent = 1
                $0.shadow = shadow
            }, workers: 1
        ) { h async throws in
            h.new.set(.hang)
            for index in 0..<5 {
                #expect(try await h.get("/checkout", headers: [("X-User-Id", "u\(index)")]).header("X-Checkout-Variant") == "old")
            }
            let counts = try await waitForShadows(h) { $0["dropped"] == 4 }
            #expect(counts["dropped"] == 4, "one copy in flight at most; the others dropped")
        }
    }

    static let shadowStep = """
        schedule:
          start: 2020-01-01T00:00:00Z
          steps:
            - { shadow: true, hold: 1s }
            - { percent: 100 }
        guardrails:
          window: 30s
          min_requests: 10                # = the shoppers below: no verdict before the last one's mirror
          max_error_rate: 0.1
          max_p99_ratio: 1000
          action: rollback
        """

    @Test func aShadowStepJudgesNewBeforeAnyShopperSeesIt() async throws {
        try await FileHarness.with(percent: 0, extra: Self.shadowStep) { h async throws in
            try await h.waitForStatus("the shadow step") { $0[path: "schedule.step"] as? Int == 1 }
            for index in 0..<10 {
                let answer = try await TestClient.send(port: h.port, path: "/checkout", headers: [("X-User-Id", "u\(index)")])
                #expect(answer.header("X-Checkout-Variant") == "old", "a shadow step serves every shopper from old")
            }
            #expect(h.new.requests.allSatisfy { $0.headers["X-Checkout-Shadow"] == ["1"] }, "new saw mirrors only")
            try await h.waitForStatus("new judged healthy on mirrored traffic: the ramp moves on") { $0[path: "schedule.step"] as? Int == 2 }
            #expect(try await TestClient.send(port: h.port, path: "/checkout", headers: [("X-User-Id", "u1")]).header("X-Checkout-Variant") == "new")
        }
        try await FileHarness.with(percent: 0, extra: Self.shadowStep) { h async throws in
            h.new.set(.respond(status: 500, body: nil, headers: []))
            try await h.waitForStatus("the shadow step") { $0[path: "schedule.step"] as? Int == 1 }
            for index in 0..<10 {
                let answer = try await TestClient.send(port: h.port, path: "/checkout", headers: [("X-User-Id", "u\(index)")])
                #expect(answer.status == 200 && answer.header("X-Checkout-Variant") == "old", "no shopper sees the failing new")
            }
            try await h.waitForStatus("a failing new is rolled back before any shopper saw it") { $0[path: "flag.latched"] as? Bool == true }
            let status = try await h.status()
            #expect((status[path: "flag.latch_reason"] as? String)?.hasPrefix("error rate on new") == true)
            #expect(status[path: "schedule.step"] as? Int == 1)
        }
    }
}
