/// What `checkout-gateway explain` prints: the decision the proxy would make for one user,
/// computed by the same evaluator, so the two can never disagree.
public struct Explanation: Sendable, Equatable {
    /// nil when the path matches no route: the flag does not decide, the request goes to old.
    public var decision: FlagDecision?
    public var effectivePercent: Int

    public var variant: Variant { decision?.variant ?? .old }

    public init(
        config: GatewayConfig, identity: String, headers: [(String, String)], path: String?, method: String,
        state: FlagState, overrideToken: String?
    ) {
        effectivePercent = state.effectivePercent
        if let path, !config.routes.matches(target: path, method: method) {
            decision = nil
            return
        }
        let evaluator = FlagEvaluator(flag: config.flag, overrideToken: overrideToken)
        decision = evaluator.decide(identity: identity, request: HeaderListAttributes(headers: headers), state: state)
    }
}

/// Request attributes from a plain list of header pairs (command lines, tests).
public struct HeaderListAttributes: RequestAttributes {
    public var headers: [(String, String)]

    public init(headers: [(String, String)]) {
        self.headers = headers
    }

    public func header(_ name: String) -> String? {
        headers.first { ASCIICase.equals($0.0, name) }?.1
    }

    public func cookie(_ name: String) -> Substring? {
        header("cookie").flatMap { CookieHeader.value(named: name, in: $0) }
    }
}
