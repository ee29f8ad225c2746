import Foundation
import Gateway
import GatewayCore

// The cost of one flag decision as the proxy makes it: identity from a header of the parsed
// request's fields (bytes, as the parser leaves them), targeting rules checked, bucket hashed. Release mode only; run by bench/run.
// `--iterations N` sets the count; valgrind compares heap allocations at N and 2N.

var iterations = 2_000_000
if let index = CommandLine.arguments.firstIndex(of: "--iterations"), index + 1 < CommandLine.arguments.count {
    iterations = Int(CommandLine.arguments[index + 1]) ?? iterations
}

var flag = FlagConfig(key: "new-checkout")
flag.enabled = true
flag.percent = 50
flag.targeting = [
    TargetingRule(variant: .new, users: ["qa-alice", "qa-bob"]),
    TargetingRule(variant: .new, header: HeaderCondition(name: "X-Checkout-Cohort", equals: "beta")),
    TargetingRule(variant: .old, users: ["vip-42"]),
]
let evaluator = FlagEvaluator(flag: flag, overrideToken: nil)
let state = FlagState(effectivePercent: 50)
let requests: [RequestHeaders] = (0..<64).map { index in
    RequestHeaders(
        ParsedRequestHead(
            method: "GET", target: "/checkout", minorVersion: 1,
            headers: [
                ("Host", "shop.example"), ("User-Agent", "bench"), ("Accept", "*/*"), ("X-User-Id", "user-\(index)-4242"),
                ("Cookie", "session=abc; theme=dark"),
            ], framing: .none))
}

/// The loop as the proxy runs it: the evaluator (and its flag) reached through a reference, not
/// through a global `var` that Swift would copy on every access.
final class Decider {
    let evaluator: FlagEvaluator
    let state: FlagState

    init(evaluator: FlagEvaluator, state: FlagState) {
        self.evaluator = evaluator
        self.state = state
    }

    func run(_ requests: [RequestHeaders], iterations: Int) -> Int {
        var newCount = 0
        for index in 0..<iterations {
            let request = requests[index & 63]
            guard let identity = evaluator.flag.resolveIdentity(request) else { fatalError("no identity") }
            if evaluator.decide(identity: identity.value, request: request, state: state).variant == .new { newCount += 1 }
        }
        return newCount
    }
}

let decider = Decider(evaluator: evaluator, state: state)
let clock = ContinuousClock()
let started = clock.now
let newCount = decider.run(requests, iterations: iterations)
let elapsed = clock.now - started
let nanoseconds = Double(elapsed.components.seconds) * 1e9 + Double(elapsed.components.attoseconds) / 1e9
print(
    String(
        format: "DECISION ns_per_decision=%.1f iterations=%d new_share=%.3f", nanoseconds / Double(iterations), iterations,
        Double(newCount) / Double(iterations)))
