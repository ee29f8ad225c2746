import GatewayCore

/// A request ready to go upstream: decided, rewritten and buffered. A class: the attempts and
/// their callbacks share it by reference rather than copying its strings and buffers.
final class ForwardingPlan {
    let method: String
    /// The request-target (path and query) as the client sent it.
    let target: String
    let headerLines: UpstreamHeaderLines
    let body: [UInt8]?
    let requestID: String
    let variant: Variant
    let hasIdempotencyKey: Bool

    init(
        method: String, target: String, headerLines: UpstreamHeaderLines, body: [UInt8]?, requestID: String, variant: Variant,
        hasIdempotencyKey: Bool
    ) {
        self.method = method
        self.target = target
        self.headerLines = headerLines
        self.body = body
        self.requestID = requestID
        self.variant = variant
        self.hasIdempotencyKey = hasIdempotencyKey
    }
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

/// Runs the attempts of one request: new (or old) first, then at most one replay on old. All on
/// the worker that read the request: a request never changes thread. One object per request,
/// so each attempt's callback holds one reference.
final class Forwarder {
    private let plan: ForwardingPlan
    private let active: ActiveConfig
    private let upstreams: UpstreamPair
    private let stats: WorkerStats
    private let clock: LoopClock
    private let completion: (ForwardingResult) -> Void
    private let started: UInt64
    /// The request's spans when tracing is on; nil costs nothing.
    private let trace: RequestTrace?

    private init(
        _ plan: ForwardingPlan, active: ActiveConfig, upstreams: UpstreamPair, stats: WorkerStats, clock: LoopClock, trace: RequestTrace?,
        completion: @escaping (ForwardingResult) -> Void
    ) {
        self.plan = plan
        self.trace = trace
        self.active = active
        self.upstreams = upstreams
        self.stats = stats
        self.clock = clock
        self.completion = completion
        self.started = clock.now
    }

    static func forward(
        _ plan: ForwardingPlan, active: ActiveConfig, upstreams: UpstreamPair, stats: WorkerStats, clock: LoopClock, trace: RequestTrace? = nil,
        completion: @escaping (ForwardingResult) -> Void
    ) {
        let forwarder = Forwarder(plan, active: active, upstreams: upstreams, stats: stats, clock: clock, trace: trace, completion: completion)
        forwarder.attempt(plan.variant, fallbackCause: nil)
    }

    private func attempt(_ variant: Variant, fallbackCause: FallbackCause?) {
        var lines = plan.headerLines
        lines.append(name: ForwardingHeaders.variantHeader, value: variant.rawValue)
        if let fallbackCause { lines.append(name: ForwardingHeaders.fallbackHeader, value: fallbackCause.rawValue) }
        let client = upstreams.client(for: variant)
        let url = client.upstream.url.prefix + plan.target
        let span = trace.map { trace in
            let (span, headers) = trace.startAttempt(variant, method: plan.method, url: url, fallbackCause: fallbackCause)
            if let traceparent = headers.traceparent { lines.append(name: "traceparent", value: traceparent) }
            if let tracestate = headers.tracestate, !tracestate.isEmpty { lines.append(name: "tracestate", value: tracestate) }
            return span
        }
        let request = UpstreamRequest(
            method: plan.method, url: url, headerLines: lines, body: plan.body,
            mayResend: active.config.fallback.allowsReplay(method: plan.method, hasIdempotencyKey: plan.hasIdempotencyKey)
        )
        let attemptStarted = clock.now
        client.execute(request) { [self] reply in
            let now = clock.now
            if let span { trace?.endAttempt(span, outcome: reply.result.outcome) }
            stats.upstream(variant, outcome: reply.result.outcome, resends: reply.resends, nanoseconds: Int64(now &- attemptStarted), now: now)
            attempted(variant, fallbackCause: fallbackCause, result: reply.result)
        }
    }

    private func attempted(_ variant: Variant, fallbackCause: FallbackCause?, result: UpstreamResult) {
        guard variant == .new else {
            finish(Self.finished(result, servedBy: .old, cause: fallbackCause))
            return
        }
        switch active.config.fallback.verdict(for: result.outcome, method: plan.method, hasIdempotencyKey: plan.hasIdempotencyKey) {
        case .serve:
            finish(Self.finished(result, servedBy: .new, cause: nil))
        case .refuse(let cause):
            var refused = Self.finished(result, servedBy: .new, cause: cause)
            refused.outcome = .error
            refused.refusedUnsafe = true
            finish(refused)
        case .fallback(let cause):
            attempt(.old, fallbackCause: cause)
        }
    }

    private func finish(_ result: ForwardingResult) {
        var result = result
        result.upstreamNanoseconds = Int64(clock.now &- started)
        completion(result)
    }

    private static func finished(_ result: UpstreamResult, servedBy: Variant, cause: FallbackCause?) -> ForwardingResult {
        let outcome: ForwardingResult.Outcome = result.outcome.isFailure ? .error : (cause == nil ? .ok : .fallback)
        return ForwardingResult(servedBy: servedBy, result: result, outcome: outcome, fallbackCause: cause, refusedUnsafe: false)
    }
}
