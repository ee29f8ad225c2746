import GatewayCore

/// A request ready to go upstream: decided, rewritten and buffered.
struct ForwardingPlan: Sendable {
    var method: String
    /// The request-target (path and query) as the client sent it.
    var target: String
    var headerLines: UpstreamHeaderLines
    var body: [UInt8]?
    var requestID: String
    var variant: Variant
    var hasIdempotencyKey: Bool
}

/// What the client gets, and what happened on the way, for logs and metrics.
struct ForwardingResult: Sendable {
    enum Outcome: String, Sendable {
        case ok
        case fallback
        case error
    }

    /// The upstream whose answer (or failure) the client gets.
    var servedBy: Variant
    var result: UpstreamResult
    var outcome: Outcome
    var fallbackCause: FallbackCause?
    /// Set when new failed and a replay was not allowed for this method.
    var refusedUnsafe: Bool
    /// Time spent waiting for upstreams, all attempts together.
    var upstreamNanoseconds: Int64 = 0
}

/// The two upstream clients a request uses, on the worker that read it.
struct UpstreamPair {
    var old: CurlMulti
    var new: CurlMulti

    func client(for variant: Variant) -> CurlMulti {
        variant == .old ? old : new
    }
}

/// Runs the attempts of one request: new (or old) first, then at most one replay on old.
/// Callbacks, all on the worker that read the request: a request never changes thread.
enum Forwarder {
    static func forward(
        _ plan: ForwardingPlan, config: GatewayConfig, upstreams: UpstreamPair, stats: WorkerStats,
        completion: @escaping (ForwardingResult) -> Void
    ) {
        let started = MonotonicClock.now()
        let finish: (ForwardingResult) -> Void = { result in
            var result = result
            result.upstreamNanoseconds = Int64(MonotonicClock.now() - started)
            completion(result)
        }
        attempt(plan, variant: plan.variant, fallbackCause: nil, config: config, upstreams: upstreams, stats: stats) { first in
            guard plan.variant == .new else {
                finish(finished(first, servedBy: .old, cause: nil))
                return
            }
            switch config.fallback.verdict(for: first.outcome, method: plan.method, hasIdempotencyKey: plan.hasIdempotencyKey) {
            case .serve:
                finish(finished(first, servedBy: .new, cause: nil))
            case .refuse(let cause):
                var result = finished(first, servedBy: .new, cause: cause)
                result.outcome = .error
                result.refusedUnsafe = true
                finish(result)
            case .fallback(let cause):
                attempt(plan, variant: .old, fallbackCause: cause, config: config, upstreams: upstreams, stats: stats) { second in
                    finish(finished(second, servedBy: .old, cause: cause))
                }
            }
        }
    }

    private static func attempt(
        _ plan: ForwardingPlan, variant: Variant, fallbackCause: FallbackCause?, config: GatewayConfig, upstreams: UpstreamPair,
        stats: WorkerStats, completion: @escaping (UpstreamResult) -> Void
    ) {
        var lines = plan.headerLines
        lines.append(name: ForwardingHeaders.variantHeader, value: variant.rawValue)
        if let fallbackCause { lines.append(name: ForwardingHeaders.fallbackHeader, value: fallbackCause.rawValue) }
        let client = upstreams.client(for: variant)
        let request = UpstreamRequest(
            method: plan.method, url: client.upstream.url.prefix + plan.target, headerLines: lines, body: plan.body,
            mayResend: config.fallback.allowsReplay(method: plan.method, hasIdempotencyKey: plan.hasIdempotencyKey)
        )
        let started = MonotonicClock.now()
        client.execute(request) { reply in
            let now = MonotonicClock.now()
            stats.upstream(variant, outcome: reply.result.outcome, resends: reply.resends, nanoseconds: Int64(now - started), now: now)
            completion(reply.result)
        }
    }

    private static func finished(_ result: UpstreamResult, servedBy: Variant, cause: FallbackCause?) -> ForwardingResult {
        let outcome: ForwardingResult.Outcome = result.outcome.isFailure ? .error : (cause == nil ? .ok : .fallback)
        return ForwardingResult(servedBy: servedBy, result: result, outcome: outcome, fallbackCause: cause, refusedUnsafe: false)
    }
}
