import Gateway
import GatewayCore
import NIOHTTP1
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

    /// While the gateway is killed the override cannot reach new (kill wins), so on-call checks
    /// new straight at its upstream before resuming: `smoke --direct`.
    @Test func theDirectSmokeTestWorksWhileKilledAndFindsAFailingNew() async throws {
        try await FileHarness.with(percent: 100) { h async throws in
            #expect(try await h.admin("/admin/kill").status == 200)
            let passing = try await GatewayProcess.run(arguments: ["smoke", "--direct", "--config", h.configPath])
            #expect(passing.status == 0, "\(passing.stdout)")
            #expect(passing.stdout.contains("smoke test passed: 4 steps on old and new, straight to the upstreams"))
            #expect(h.new.requests.map(\.method) == ["GET", "POST"], "new itself was tried, not through the killed flag")
            h.new.set(.respond(status: 500, body: nil, headers: []))
            let failing = try await GatewayProcess.run(arguments: ["smoke", "--direct", "--config", h.configPath])
            #expect(failing.status == 1)
            #expect(failing.stdout.contains("FAIL new: GET /checkout answered 500"), "\(failing.stdout)")
        }
    }
}
