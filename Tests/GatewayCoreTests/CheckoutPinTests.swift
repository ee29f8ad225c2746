import Foundation
import GatewayCore
import Testing

/// Checkout pins (pure): what a valid pin is, and that it only ever turns a percent's "old" into
/// "new" — never a kill, a latch, an unknown state, a disabled flag or a targeting rule.
@Suite("Checkout pins (pure)", .timeLimit(.minutes(1)))
struct CheckoutPinTests {
    let pins = CheckoutPins(key: Array("a key shared by the fleet, 32 by".utf8))
    let now = 1_800_000_000

    @Test func onlyAnUnexpiredPinOfThisKeyFlagAndIdentityIsValid() {
        let pin = pins.value(flag: "new-checkout", identity: "alice", expires: now + 1800)
        #expect(pins.isValid(pin[...], flag: "new-checkout", identity: "alice", now: now))
        #expect(!pins.isValid(pin[...], flag: "new-checkout", identity: "alice", now: now + 1800), "expired")
        #expect(!pins.isValid(pin[...], flag: "new-checkout", identity: "bob", now: now), "another shopper's")
        #expect(!pins.isValid(pin[...], flag: "other-flag", identity: "alice", now: now), "another flag's")
        let longer = pin.replacingOccurrences(of: "v1.\(now + 1800).", with: "v1.\(now + 999_999).")
        #expect(!pins.isValid(longer[...], flag: "new-checkout", identity: "alice", now: now), "an extended expiry breaks the signature")
        let otherKey = CheckoutPins(key: CheckoutPins.randomKey())
        #expect(!otherKey.isValid(pin[...], flag: "new-checkout", identity: "alice", now: now), "another key's")
        for forged in ["", "v1", "v1.x.y", "v2.\(now + 10).abc", "v1.\(now + 10).", "v1.\(now + 10).AAAA"] {
            #expect(!pins.isValid(forged[...], flag: "new-checkout", identity: "alice", now: now), "\(forged)")
        }
    }

    @Test func aPinKeepsNewOnlyWhereThePercentAloneWouldGiveOld() {
        var flag = FlagConfig(key: "new-checkout")
        flag.enabled = true
        flag.targeting = [TargetingRule(variant: .old, header: HeaderCondition(name: "X-Cohort", equals: "control"))]
        let evaluator = FlagEvaluator(flag: flag, overrideToken: nil, pins: pins)
        let cookie = ("Cookie", "gw_pin=\(pins.value(flag: "new-checkout", identity: "alice", expires: now + 600))")
        let pinned = HeaderListAttributes(headers: [cookie])
        let rampedDown = FlagState(effectivePercent: 0)

        #expect(evaluator.decide(identity: "alice", request: pinned, state: rampedDown, now: now).reason == .pinned)
        #expect(evaluator.decide(identity: "alice", request: pinned, state: rampedDown, now: now).variant == .new)
        #expect(evaluator.decide(identity: "alice", request: HeaderListAttributes(headers: []), state: rampedDown, now: now).variant == .old)
        #expect(evaluator.decide(identity: "bob", request: pinned, state: rampedDown, now: now).variant == .old, "alice's pin is not bob's")
        #expect(evaluator.decide(identity: "alice", request: pinned, state: rampedDown).variant == .old, "no clock, no pin (OFREP, explain)")

        for (state, reason) in [
            (FlagState(killed: true, effectivePercent: 0), DecisionReason.disabled),
            (FlagState(latched: true, effectivePercent: 0), .rolledBack),
            (FlagState(effectivePercent: 0, unknown: true), .stateUnknown),
        ] {
            let decision = evaluator.decide(identity: "alice", request: pinned, state: state, now: now)
            #expect(decision.variant == .old && decision.reason == reason, "safety wins over a pin: \(reason)")
        }
        let control = HeaderListAttributes(headers: [cookie, ("X-Cohort", "control")])
        #expect(evaluator.decide(identity: "alice", request: control, state: rampedDown, now: now).reason == .targeting)
    }
}
