/// Why a request got its variant; the names appear in logs, metrics and `explain`.
public enum DecisionReason: String, Sendable, Hashable, CaseIterable {
    case disabled
    /// A fleet replica that has never read the rollout state (etcd unreachable since start):
    /// old, so that a restart can never undo a kill or a rollback.
    case stateUnknown = "state_unknown"
    case rolledBack = "rolled_back"
    case override
    case targeting
    case rollout
    /// Old by the percent, but the shopper started a checkout on new (a valid `gw_pin`).
    case pinned

    /// The matching OpenFeature (OFREP) reason.
    public var ofrepReason: String {
        switch self {
        case .disabled, .stateUnknown, .rolledBack: "DISABLED"
        case .override, .targeting, .pinned: "TARGETING_MATCH"
        case .rollout: "SPLIT"
        }
    }
}

public struct FlagDecision: Sendable, Equatable {
    public var variant: Variant
    public var reason: DecisionReason
    /// The user's bucket (1...100); computed for every decision so `explain` can show it.
    public var bucket: Int

    public init(variant: Variant, reason: DecisionReason, bucket: Int) {
        self.variant = variant
        self.reason = reason
        self.bucket = bucket
    }

    /// The OpenFeature reason of this decision at `percent`: a rollout at 0% or 100% gives
    /// everyone the same variant, which OFREP calls STATIC. The one vocabulary for OFREP answers
    /// and `explain`.
    public func ofrepReason(percent: Int) -> String {
        if reason == .rollout && (percent == 0 || percent == 100) { return "STATIC" }
        return reason.ofrepReason
    }
}

/// The runtime state next to the config: the admin kill switch, the guardrail latch and the
/// percent in force (the schedule's step when a schedule runs, else `flag.percent`).
public struct FlagState: Sendable, Equatable {
    public var killed: Bool
    public var latched: Bool
    public var effectivePercent: Int
    /// The rollout state has never been read (a fleet replica that could not reach etcd yet).
    public var unknown: Bool

    public init(killed: Bool = false, latched: Bool = false, effectivePercent: Int, unknown: Bool = false) {
        self.killed = killed
        self.latched = latched
        self.effectivePercent = effectivePercent
        self.unknown = unknown
    }
}

/// The one place that decides old or new. Pure: the same config, state, identity and request
/// attributes always give the same answer, in the proxy, in OFREP and in `explain`.
public struct FlagEvaluator: Sendable {
    public let flag: FlagConfig
    /// The test-override token read from `test_override.token_env` at load; overrides are off
    /// when it is nil or empty.
    public let overrideToken: String?
    /// Checks `gw_pin` cookies; nil where no pin can apply (OFREP, `explain`).
    public let pins: CheckoutPins?

    public static let testTokenHeader = "X-Gateway-Test-Token"

    public init(flag: FlagConfig, overrideToken: String?, pins: CheckoutPins? = nil) {
        self.flag = flag
        self.overrideToken = overrideToken
        self.pins = pins
    }

    /// `now` (unix seconds) is needed only to honour pins.
    public func decide(identity: String, request: some RequestAttributes, state: FlagState, now: Int? = nil) -> FlagDecision {
        let bucket = Bucketing.bucket(groupID: flag.groupID, identity: identity)
        if !flag.enabled || state.killed {
            return FlagDecision(variant: .old, reason: .disabled, bucket: bucket)
        }
        if state.unknown {
            return FlagDecision(variant: .old, reason: .stateUnknown, bucket: bucket)
        }
        if state.latched {
            return FlagDecision(variant: .old, reason: .rolledBack, bucket: bucket)
        }
        if let forced = override(request) {
            return FlagDecision(variant: forced, reason: .override, bucket: bucket)
        }
        for rule in flag.targeting where rule.matches(identity: identity, request: request) {
            return FlagDecision(variant: rule.variant, reason: .targeting, bucket: bucket)
        }
        if Bucketing.isIn(bucket: bucket, percent: state.effectivePercent) {
            return FlagDecision(variant: .new, reason: .rollout, bucket: bucket)
        }
        // After every safety rule above: a kill, a latch, an abort or an unknown state always win.
        if let pins, let now, let pin = request.cookie(CheckoutPins.cookieName), pins.isValid(pin, flag: flag.key, identity: identity, now: now) {
            return FlagDecision(variant: .new, reason: .pinned, bucket: bucket)
        }
        return FlagDecision(variant: .old, reason: .rollout, bucket: bucket)
    }

    /// The variant a valid test override asks for: the header names new or old and the request
    /// carries the configured token.
    private func override(_ request: some RequestAttributes) -> Variant? {
        guard let testOverride = flag.testOverride, let overrideToken, !overrideToken.isEmpty,
            let asked = request.header(testOverride.header),
            let token = request.header(Self.testTokenHeader),
            ConstantTime.equals(token, overrideToken)
        else { return nil }
        return Variant(rawValue: asked.lowercased())
    }
}

extension TargetingRule {
    public func matches(identity: String, request: some RequestAttributes) -> Bool {
        if let users, !users.contains(identity) { return false }
        if let header, request.header(header.name) != header.equals { return false }
        return true
    }
}

/// Token comparison that takes the same time wherever the first difference is.
public enum ConstantTime {
    public static func equals(_ lhs: String, _ rhs: String) -> Bool {
        let a = Array(lhs.utf8)
        let b = Array(rhs.utf8)
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for index in a.indices { difference |= a[index] ^ b[index] }
        return difference == 0
    }
}
