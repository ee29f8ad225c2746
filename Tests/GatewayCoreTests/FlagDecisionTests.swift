import GatewayCore
import Testing

@Suite("The flag decision table (README: How a request is decided)")
struct FlagDecisionTests {
    private func flagWithEverything() -> FlagConfig {
        var flag = makeFlag(percent: 100)
        flag.targeting = [
            TargetingRule(variant: .old, users: ["vip-42"]),
            TargetingRule(variant: .new, header: HeaderCondition(name: "X-Cohort", equals: "beta")),
        ]
        flag.testOverride = TestOverride()
        return flag
    }

    private let overrideHeaders = ["X-Checkout-Force": "old", "X-Gateway-Test-Token": "secret"]

    @Test func row1DisabledFlagSendsEveryoneOldEvenWithOverrideAndTargeting() {
        var flag = flagWithEverything()
        flag.enabled = false
        let evaluator = FlagEvaluator(flag: flag, overrideToken: "secret")
        let decision = evaluator.decide(
            identity: "vip-42", request: FakeRequest(headers: ["X-Checkout-Force": "new", "X-Gateway-Test-Token": "secret"]),
            state: FlagState(effectivePercent: 100))
        #expect(decision.variant == .old)
        #expect(decision.reason == .disabled)
        #expect(decision.reason.ofrepReason == "DISABLED")
    }

    @Test func row1KillSwitchWinsOverEverything() {
        let evaluator = FlagEvaluator(flag: flagWithEverything(), overrideToken: "secret")
        let decision = evaluator.decide(
            identity: "u", request: FakeRequest(headers: ["X-Checkout-Force": "new", "X-Gateway-Test-Token": "secret"]),
            state: FlagState(killed: true, latched: true, effectivePercent: 100))
        #expect(decision == FlagDecision(variant: .old, reason: .disabled, bucket: decision.bucket))
    }

    @Test func row2LatchSendsOldBeforeOverride() {
        let evaluator = FlagEvaluator(flag: flagWithEverything(), overrideToken: "secret")
        let decision = evaluator.decide(
            identity: "u", request: FakeRequest(headers: ["X-Checkout-Force": "new", "X-Gateway-Test-Token": "secret"]),
            state: FlagState(latched: true, effectivePercent: 100))
        #expect(decision.variant == .old)
        #expect(decision.reason == .rolledBack)
        #expect(decision.reason.ofrepReason == "DISABLED")
    }

    @Test func row3ValidOverrideWinsOverTargetingAndPercent() {
        let evaluator = FlagEvaluator(flag: flagWithEverything(), overrideToken: "secret")
        let toOld = evaluator.decide(identity: "u", request: FakeRequest(headers: overrideHeaders), state: FlagState(effectivePercent: 100))
        #expect(toOld.variant == .old)
        #expect(toOld.reason == .override)
        let toNew = evaluator.decide(
            identity: "vip-42", request: FakeRequest(headers: ["X-Checkout-Force": "NEW", "X-Gateway-Test-Token": "secret"]),
            state: FlagState(effectivePercent: 0))
        #expect(toNew.variant == .new)
        #expect(toNew.reason.ofrepReason == "TARGETING_MATCH")
    }

    @Test(arguments: [
        ["X-Checkout-Force": "old", "X-Gateway-Test-Token": "wrong"],
        ["X-Checkout-Force": "old"],
        ["X-Checkout-Force": "sideways", "X-Gateway-Test-Token": "secret"],
    ])
    func row3InvalidOverrideIsIgnored(headers: [String: String]) {
        let evaluator = FlagEvaluator(flag: flagWithEverything(), overrideToken: "secret")
        let decision = evaluator.decide(identity: "u", request: FakeRequest(headers: headers), state: FlagState(effectivePercent: 100))
        #expect(decision.reason == .rollout)
        #expect(decision.variant == .new)
    }

    @Test func row3OverrideIsOffWithoutAToken() {
        for token in [nil, ""] as [String?] {
            let evaluator = FlagEvaluator(flag: flagWithEverything(), overrideToken: token)
            let decision = evaluator.decide(
                identity: "u", request: FakeRequest(headers: ["X-Checkout-Force": "old", "X-Gateway-Test-Token": ""]),
                state: FlagState(effectivePercent: 100))
            #expect(decision.reason == .rollout)
        }
    }

    @Test func row4TargetingRulesInOrderBeforePercent() {
        let evaluator = FlagEvaluator(flag: flagWithEverything(), overrideToken: nil)
        let vip = evaluator.decide(identity: "vip-42", request: FakeRequest(headers: ["X-Cohort": "beta"]), state: FlagState(effectivePercent: 100))
        #expect(vip.variant == .old)
        #expect(vip.reason == .targeting)
        let beta = evaluator.decide(identity: "someone", request: FakeRequest(headers: ["X-Cohort": "beta"]), state: FlagState(effectivePercent: 0))
        #expect(beta.variant == .new)
        #expect(beta.reason == .targeting)
        let notBeta = evaluator.decide(
            identity: "someone", request: FakeRequest(headers: ["X-Cohort": "gamma"]), state: FlagState(effectivePercent: 0))
        #expect(notBeta.reason == .rollout)
    }

    @Test func row4RuleWithTwoConditionsNeedsBoth() {
        var flag = makeFlag()
        flag.targeting = [TargetingRule(variant: .new, users: ["a"], header: HeaderCondition(name: "X-Cohort", equals: "beta"))]
        let evaluator = FlagEvaluator(flag: flag, overrideToken: nil)
        #expect(
            evaluator.decide(identity: "a", request: FakeRequest(headers: ["X-Cohort": "beta"]), state: FlagState(effectivePercent: 0)).variant
                == .new)
        #expect(evaluator.decide(identity: "a", request: FakeRequest(), state: FlagState(effectivePercent: 0)).variant == .old)
        #expect(
            evaluator.decide(identity: "b", request: FakeRequest(headers: ["X-Cohort": "beta"]), state: FlagState(effectivePercent: 0)).variant
                == .old)
    }

    @Test func row5RolloutByBucketUsesEffectivePercent() {
        let evaluator = FlagEvaluator(flag: makeFlag(percent: 0), overrideToken: nil)
        // alice is in bucket 41: new from 41% on, old below.
        let at40 = evaluator.decide(identity: "alice", request: FakeRequest(), state: FlagState(effectivePercent: 40))
        let at41 = evaluator.decide(identity: "alice", request: FakeRequest(), state: FlagState(effectivePercent: 41))
        #expect(at40 == FlagDecision(variant: .old, reason: .rollout, bucket: 41))
        #expect(at41 == FlagDecision(variant: .new, reason: .rollout, bucket: 41))
        #expect(at41.reason.ofrepReason == "SPLIT")
    }

    @Test func groupIDChangesBuckets() {
        var flag = makeFlag()
        flag.groupID = "gr1"
        let evaluator = FlagEvaluator(flag: flag, overrideToken: nil)
        #expect(evaluator.decide(identity: "123", request: FakeRequest(), state: FlagState(effectivePercent: 0)).bucket == 73)
    }
}

@Suite("One reason vocabulary for OFREP and explain")
struct OFREPReasonTests {
    @Test func aRolloutAtZeroOrOneHundredIsStatic() {
        let rollout = FlagDecision(variant: .old, reason: .rollout, bucket: 42)
        #expect(rollout.ofrepReason(percent: 0) == "STATIC")
        #expect(rollout.ofrepReason(percent: 100) == "STATIC")
        #expect(rollout.ofrepReason(percent: 50) == "SPLIT")
        #expect(FlagDecision(variant: .new, reason: .targeting, bucket: 42).ofrepReason(percent: 0) == "TARGETING_MATCH")
        #expect(FlagDecision(variant: .old, reason: .stateUnknown, bucket: 42).ofrepReason(percent: 50) == "DISABLED")
    }
}
