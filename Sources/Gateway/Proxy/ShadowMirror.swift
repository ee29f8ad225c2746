import GatewayCore

/// Shadow traffic: a copy of a safe request of a shopper served by old goes to new after the
/// shopper's answer is written, on the same worker and libcurl multi handle as everything else.
/// New's answer is compared with old's (status class, then the body's hash), counted in
/// `gateway_shadow_requests_total{result}` and in new's guardrail window (requests, errors,
/// latency), and then thrown away: nobody ever sees it.
///
/// Only `shadow.methods` (GET, HEAD, OPTIONS at most, checked at load) are mirrored, only for
/// shoppers the percent sent to old (never while killed, rolled back or unknown: those decide
/// `disabled`, `rolled_back`, `state_unknown`), at most `shadow.max_concurrent` in flight (split
/// across the workers); past that a copy is dropped and counted.
enum ShadowMirror {
    enum Result: Int, CaseIterable {
        case match
        case statusMismatch
        case bodyMismatch
        case error
        case dropped

        var label: String {
            switch self {
            case .match: "match"
            case .statusMismatch: "status_mismatch"
            case .bodyMismatch: "body_mismatch"
            case .error: "error"
            case .dropped: "dropped"
            }
        }
    }

    /// The header that tells new a request is a mirror (not a shopper's): it should not count it
    /// as a visit or send an email.
    static let header = "X-Checkout-Shadow"

    /// Whether this answered request is one to mirror.
    static func wanted(request: ProxyRequest, prepared: ProxyRequest.Prepared, result: ForwardingResult) -> Bool {
        let percent = request.snapshot.shadowPercent
        guard percent > 0, let decision = prepared.decision, decision.reason == .rollout, decision.variant == .old,
            result.servedBy == .old, result.fallbackCause == nil, let identity = prepared.identity
        else { return false }
        let methods = request.active.config.shadow?.methods ?? ["GET", "HEAD"]
        guard methods.contains(prepared.plan.method), ShadowConfig.safeMethods.contains(prepared.plan.method) else { return false }
        let flag = request.active.config.flag
        return Bucketing.isIn(bucket: Bucketing.bucket(groupID: flag.groupID + "/shadow", identity: identity), percent: percent)
    }

    /// Sends the copy; `done` runs on the worker when new has answered or failed.
    static func send(
        plan: ForwardingPlan, old: UpstreamResponse, upstreams: UpstreamPair, stats: WorkerStats, clock: LoopClock,
        done: @escaping (Result) -> Void
    ) {
        var lines = plan.headerLines
        lines.append(name: ForwardingHeaders.variantHeader, value: Variant.new.rawValue)
        lines.append(name: header, value: "1")
        let client = upstreams.new
        let request = UpstreamRequest(
            method: plan.method, url: client.upstream.url.prefix + plan.target, headerLines: lines, body: nil, mayResend: true)
        let oldClass = old.status / 100
        let oldHash = hash(old.body)
        let started = clock.now
        client.execute(request) { reply in
            let now = clock.now
            stats.upstream(.new, outcome: reply.result.outcome, resends: reply.resends, nanoseconds: Int64(now &- started), now: now)
            switch reply.result {
            case .failure:
                done(.error)
            case .response(let response) where response.status / 100 != oldClass:
                done(.statusMismatch)
            case .response(let response):
                done(hash(response.body) == oldHash ? .match : .bodyMismatch)
            }
        }
    }

    /// A hash of a body, compared within this process only.
    private static func hash(_ body: [UInt8]) -> Int {
        var hasher = Hasher()
        hasher.combine(body.count)
        body.withUnsafeBytes { hasher.combine(bytes: $0) }
        return hasher.finalize()
    }
}
