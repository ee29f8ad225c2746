import GatewayCore
import Glibc

/// A complete client request on its way to an upstream: the parsed head, the buffered body and
/// the config snapshot taken when it was read (kept to the end, whatever reloads happen).
struct ProxyRequest {
    let head: ParsedRequestHead
    let body: [UInt8]
    let snapshot: GatewayRuntime.Snapshot
    let peerIP: String?
    /// Monotonic nanoseconds when the request was complete.
    let receivedAt: UInt64

    var active: ActiveConfig { snapshot.active }

    /// A header the flag decision would read that this routed request carries more than once.
    var repeatedDecisionHeader: String? {
        guard active.config.routes.matches(target: head.target, method: head.method) else { return nil }
        // Fields counted by name, not values split at commas: one field `a, b` is one value.
        for name in active.decisionHeaders where head.count(named: name) > 1 { return name }
        return nil
    }

    /// The decided and rewritten request, plus what the answer must carry back.
    struct Prepared {
        var plan: ForwardingPlan
        var decision: FlagDecision?
        /// A `Set-Cookie` value when an anonymous id was minted for this request.
        var setCookie: String?
        /// The identity the flag decided for (routed requests only): what a checkout pin binds to.
        var identity: String?
    }

    /// Decides the variant (routes, identity, flag) and rewrites the headers for the upstream.
    func prepare(mintID: () -> String) -> Prepared {
        let config = active.config
        let headers = RequestHeaders(head)
        let method = head.method

        let requestID = headers.header(ForwardingHeaders.requestIDHeader).flatMap { HeaderRules.isSaneRequestID($0) ? $0 : nil } ?? mintID()
        var decision: FlagDecision?
        var setCookie: String?
        var pinIdentity: String?
        if config.routes.matches(target: head.target, method: method) {
            let identity: String
            if let resolved = config.flag.resolveIdentity(headers) {
                identity = resolved.value
            } else {
                identity = mintID()
                setCookie = config.flag.anonymousCookie.setCookieValue(id: identity)
            }
            decision = active.evaluator.decide(identity: identity, request: headers, state: snapshot.flagState, now: time(nil))
            pinIdentity = identity
        }

        let needsBody = !body.isEmpty || method == "POST" || method == "PUT" || method == "PATCH"
        let lines = ForwardingHeaders.upstreamLines(
            from: headers, peerIP: peerIP, requestID: requestID, strip: active.strippedHeaders, hasBody: needsBody
        )
        let plan = ForwardingPlan(
            method: method,
            target: head.target,
            headerLines: lines,
            body: needsBody ? body : nil,
            requestID: requestID,
            variant: decision?.variant ?? .old,
            hasIdempotencyKey: headers.hasNonEmpty(config.fallback.idempotencyHeader)
        )
        return Prepared(plan: plan, decision: decision, setCookie: setCookie, identity: pinIdentity)
    }
}
