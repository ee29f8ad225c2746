import GatewayCore
import NIOCore

/// A request ready to go upstream: decided, rewritten and buffered.
struct ForwardingPlan: Sendable {
    var method: String
    /// The request-target (path and query) as the client sent it.
    var target: String
    var headerLines: [String]
    var body: ByteBuffer?
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

/// Runs the attempts of one request: new (or old) first, then at most one replay on old.
/// Callbacks rather than futures: every step already runs on the request's event loop, and a
/// request is on the hot path of every purchase.
enum Forwarder {
    /// `completion` runs on `eventLoop`.
    static func forward(
        _ plan: ForwardingPlan, active: ActiveConfig, recorder: TrafficRecorder, on eventLoop: any EventLoop,
        completion: @escaping @Sendable (ForwardingResult) -> Void
    ) {
        let started = NIODeadline.now()
        let finish: @Sendable (ForwardingResult) -> Void = { result in
            var result = result
            result.upstreamNanoseconds = (NIODeadline.now() - started).nanoseconds
            completion(result)
        }
        attempt(plan, variant: plan.variant, fallbackCause: nil, active: active, recorder: recorder, on: eventLoop) { first in
            guard plan.variant == .new else {
                finish(finished(first, servedBy: .old, cause: nil))
                return
            }
            switch active.config.fallback.verdict(for: first.outcome, method: plan.method, hasIdempotencyKey: plan.hasIdempotencyKey) {
            case .serve:
                finish(finished(first, servedBy: .new, cause: nil))
            case .refuse(let cause):
                var result = finished(first, servedBy: .new, cause: cause)
                result.outcome = .error
                result.refusedUnsafe = true
                finish(result)
            case .fallback(let cause):
                attempt(plan, variant: .old, fallbackCause: cause, active: active, recorder: recorder, on: eventLoop) { second in
                    finish(finished(second, servedBy: .old, cause: cause))
                }
            }
        }
    }

    private static func attempt(
        _ plan: ForwardingPlan, variant: Variant, fallbackCause: FallbackCause?, active: ActiveConfig, recorder: TrafficRecorder,
        on eventLoop: any EventLoop, completion: @escaping @Sendable (UpstreamResult) -> Void
    ) {
        var lines = plan.headerLines
        lines.append("\(ForwardingHeaders.variantHeader): \(variant.rawValue)")
        if let fallbackCause { lines.append("\(ForwardingHeaders.fallbackHeader): \(fallbackCause.rawValue)") }
        let client = active.client(for: variant)
        let request = UpstreamRequest(
            method: plan.method, url: client.upstream.url.prefix + plan.target, headerLines: lines, body: plan.body,
            mayResend: active.config.fallback.allowsReplay(method: plan.method, hasIdempotencyKey: plan.hasIdempotencyKey)
        )
        let started = NIODeadline.now()
        client.execute(request, on: eventLoop) { reply in
            recorder.attempt(variant, outcome: reply.result.outcome, resends: reply.resends, started: started, ended: .now())
            completion(reply.result)
        }
    }

    private static func finished(_ result: UpstreamResult, servedBy: Variant, cause: FallbackCause?) -> ForwardingResult {
        let outcome: ForwardingResult.Outcome = result.outcome.isFailure ? .error : (cause == nil ? .ok : .fallback)
        return ForwardingResult(servedBy: servedBy, result: result, outcome: outcome, fallbackCause: cause, refusedUnsafe: false)
    }
}
