import GatewayCore
import NIOCore
import NIOHTTP1

extension GatewayRuntime {
    /// Metrics, guardrail conversions and the access-log line of one answered request.
    func record(request: ClientRequest, prepared: ClientRequest.Prepared, result: ForwardingResult, status: Int) {
        let total = (NIODeadline.now() - request.receivedAt).nanoseconds
        let metrics = recorder.metrics
        metrics.request(variant: result.servedBy, outcome: result.outcome, code: status, nanoseconds: total)
        let fallbackLabel = result.refusedUnsafe ? "unsafe_method" : result.fallbackCause?.rawValue
        if let fallbackLabel { metrics.fallback(cause: fallbackLabel) }
        if let conversion = request.active.config.guardrails?.conversion {
            let method = prepared.plan.method
            if conversion.start.matches(target: request.head.uri, method: method) {
                recorder.conversion(result.servedBy, stage: .start)
            }
            if (200...299).contains(status), conversion.done.matches(target: request.head.uri, method: method) {
                recorder.conversion(result.servedBy, stage: .done)
            }
        }
        guard request.active.config.accessLog, let accessLog else { return }
        accessLog.write(
            AccessLog.Entry(
                requestID: prepared.plan.requestID,
                method: prepared.plan.method,
                path: String(PathPrefix.path(of: request.head.uri)),
                status: status,
                variant: result.servedBy,
                reason: prepared.decision?.reason.rawValue ?? "no_route",
                fallbackCause: fallbackLabel,
                upstreamMs: Double(result.upstreamNanoseconds) / 1_000_000,
                totalMs: Double(total) / 1_000_000
            ))
    }
}
