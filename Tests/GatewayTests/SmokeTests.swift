import NIOHTTP1
import Gateway
import GatewayCore
import Testing

@Suite("checkout-gateway smoke", .timeLimit(.minutes(1)))
struct SmokeTests {
    @Test func passesOnBothVariantsAtZeroPercent() async throws {
        try await Harness.with(configure: { $0.flag.percent = 0 }) { h async throws in
            let smoke = SmokeTest(baseURL: "http://127.0.0.1:\(h.port)", token: Harness.testToken)
            let steps = try await offThePool { smoke.run() }
            #expect(steps.count == 4)
            #expect(steps.allSatisfy { $0.passed }, "\(steps.map { $0.description })")
            #expect(h.new.requests.map { $0.method } == ["GET", "POST"])
            #expect(h.new.requests.last?.headers.first(name: "Idempotency-Key")?.hasPrefix("smoke-new-") == true)
        }
    }

    @Test func failsWhenNewFailsOrTheTokenIsWrong() async throws {
        try await Harness.with { h async throws in
            h.new.set(.respond(status: 500, body: nil, headers: []))
            let smoke = SmokeTest(baseURL: "http://127.0.0.1:\(h.port)", token: Harness.testToken)
            let steps = try await offThePool { smoke.run() }
            #expect(steps.filter { $0.passed }.map { $0.variant } == [.old, .old])
            #expect(steps.last?.description.contains("served by old, not new") == true)
            h.new.set(.respond(status: 200, body: nil, headers: []))
            let wrongSmoke = SmokeTest(baseURL: "http://127.0.0.1:\(h.port)", token: "nope")
            let wrongToken = try await offThePool { wrongSmoke.run() }
            #expect(wrongToken.filter { !$0.passed }.map { $0.variant } == [.new, .new])
        }
    }
}
