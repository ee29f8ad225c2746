import GatewayCore
import Testing

@Suite("Fallback policy (README: Forwarding and fallback)")
struct FallbackPolicyTests {
    let config = FallbackConfig()

    @Test func successAndClientErrorsAreServed() {
        #expect(config.verdict(for: .status(200), method: "GET", hasIdempotencyKey: false) == .serve)
        #expect(config.verdict(for: .status(404), method: "POST", hasIdempotencyKey: false) == .serve)
    }

    @Test(arguments: ["GET", "HEAD", "OPTIONS", "TRACE", "PUT", "DELETE"])
    func idempotentMethodsFallBackOnEveryFailure(method: String) {
        #expect(config.verdict(for: .status(500), method: method, hasIdempotencyKey: false) == .fallback(.status5xx))
        #expect(config.verdict(for: .status(503), method: method, hasIdempotencyKey: false) == .fallback(.status5xx))
        #expect(config.verdict(for: .timeout, method: method, hasIdempotencyKey: false) == .fallback(.timeout))
        #expect(config.verdict(for: .connectError, method: method, hasIdempotencyKey: false) == .fallback(.connectError))
        #expect(config.verdict(for: .badResponse, method: method, hasIdempotencyKey: false) == .fallback(.badResponse))
    }

    @Test(arguments: ["POST", "PATCH", "CONNECT", "PURGE"])
    func unsafeMethodsNeedAnIdempotencyKeyByDefault(method: String) {
        #expect(config.verdict(for: .status(500), method: method, hasIdempotencyKey: false) == .refuse(.status5xx))
        #expect(config.verdict(for: .timeout, method: method, hasIdempotencyKey: false) == .refuse(.timeout))
        #expect(config.verdict(for: .status(500), method: method, hasIdempotencyKey: true) == .fallback(.status5xx))
        #expect(config.verdict(for: .timeout, method: method, hasIdempotencyKey: true) == .fallback(.timeout))
        #expect(config.verdict(for: .connectError, method: method, hasIdempotencyKey: false) == .fallback(.connectError))
    }

    @Test func alwaysAndNeverPolicies() {
        var always = FallbackConfig()
        always.unsafeMethods = .always
        #expect(always.verdict(for: .timeout, method: "POST", hasIdempotencyKey: false) == .fallback(.timeout))
        var never = FallbackConfig()
        never.unsafeMethods = .never
        #expect(never.verdict(for: .status(502), method: "POST", hasIdempotencyKey: true) == .refuse(.status5xx))
        #expect(never.verdict(for: .connectError, method: "POST", hasIdempotencyKey: false) == .fallback(.connectError))
    }

    @Test func triggersNotListedAreServedAsTheyAre() {
        var only = FallbackConfig()
        only.on = [.connectError]
        #expect(only.verdict(for: .status(500), method: "GET", hasIdempotencyKey: false) == .serve)
        #expect(only.verdict(for: .timeout, method: "GET", hasIdempotencyKey: false) == .serve)
        #expect(only.verdict(for: .connectError, method: "GET", hasIdempotencyKey: false) == .fallback(.connectError))
    }

    @Test func failureStatuses() {
        #expect(FailureResponse.status(for: .timeout) == 504)
        #expect(FailureResponse.status(for: .connectError) == 502)
        #expect(FailureResponse.status(for: .badResponse) == 502)
        #expect(FailureResponse.status(for: .status(500)) == nil)
    }
}
