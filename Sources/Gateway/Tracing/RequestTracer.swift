import Foundation
import GatewayCore
import Logging
import OTel
import ServiceLifecycle
import Tracing

/// OpenTelemetry tracing of the public listener's requests, when `tracing` or the standard
/// `OTEL_*` variables ask for it: a server span per request (its parent from the client's
/// `traceparent`) and a client span per upstream attempt, exported over OTLP/HTTP by swift-otel
/// from a service of its own (`exporter`), never from a worker.
///
/// Without it the runtime holds no tracer and the request path does nothing for tracing: no
/// span, no header, no allocation (`RequestTrace` is optional all the way).
final class RequestTracer: Sendable {
    private let tracer: any Tracer
    /// Batches and sends the spans; runs beside the gateway (`GatewayService`).
    let exporter: any Service

    private init(tracer: any Tracer, exporter: any Service) {
        self.tracer = tracer
        self.exporter = exporter
    }

    /// The tracer `config` and `environment` ask for, or nil when neither does. The `OTEL_*`
    /// variables (OTEL_EXPORTER_OTLP_TRACES_ENDPOINT, OTEL_TRACES_SAMPLER, …) win over
    /// `tracing`, as the OpenTelemetry specification says; OTEL_SDK_DISABLED=true turns it off.
    static func make(config: TracingConfig?, environment: [String: String], logger: Logger) throws -> RequestTracer? {
        guard isWanted(config: config, environment: environment) else { return nil }
        var otel = OTel.Configuration.default
        otel.serviceName = "checkout-gateway"
        otel.resourceAttributes["service.version"] = GatewayVersion.current
        otel.metrics.enabled = false
        otel.logs.enabled = false
        otel.diagnosticLogLevel = .warning
        otel.traces.exporter = .otlp
        otel.traces.otlpExporter.protocol = config?.wireFormat == .json ? .httpJSON : .httpProtobuf
        if let config {
            otel.traces.otlpExporter.endpoint = config.otlpEndpoint
            otel.traces.sampler = .parentBasedTraceIDRatio(ratio: config.sampleRatio) ?? .parentBasedAlwaysOn
        }
        // Spans leave within a second (the default waits five): an incident is looked at live.
        otel.traces.batchSpanProcessor.scheduleDelay = .seconds(1)
        let backend = try OTel.makeTracingBackend(configuration: otel)
        logger.notice(
            "tracing on: spans go over OTLP/HTTP",
            metadata: [
                "endpoint":
                    "\(environment["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"] ?? environment["OTEL_EXPORTER_OTLP_ENDPOINT"] ?? config?.otlpEndpoint ?? "-")",
                "sample_ratio": "\(config?.sampleRatio ?? 1)",
            ])
        return RequestTracer(tracer: backend.factory, exporter: backend.service)
    }

    static func isWanted(config: TracingConfig?, environment: [String: String]) -> Bool {
        if environment["OTEL_SDK_DISABLED"]?.lowercased() == "true" || environment["OTEL_TRACES_EXPORTER"] == "none" { return false }
        return config != nil || environment["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"] != nil || environment["OTEL_EXPORTER_OTLP_ENDPOINT"] != nil
            || environment["OTEL_TRACES_EXPORTER"] == "otlp"
    }

    /// The server span of a request whose head is `head`, child of the client's trace if it
    /// sent a `traceparent`.
    func start(head: ParsedRequestHead, decision: FlagDecision?, flagKey: String) -> RequestTrace {
        var parent = ServiceContext.topLevel
        let incoming = TraceHeaders(traceparent: head.values(named: "traceparent").first, tracestate: head.values(named: "tracestate").first)
        if incoming.traceparent != nil { tracer.extract(incoming, into: &parent, using: TraceHeaders.Reader()) }
        let path = PathPrefix.path(of: head.target)
        let span = tracer.startSpan("\(head.method) \(path)", context: parent, ofKind: .server)
        span.attributes["http.request.method"] = head.method
        span.attributes["url.path"] = String(path)
        if let decision {
            span.attributes["feature_flag.key"] = flagKey
            span.attributes["feature_flag.result.variant"] = decision.variant.rawValue
            span.attributes["feature_flag.result.reason"] = decision.reason.ofrepReason.lowercased()
            span.attributes["checkout_gateway.decision_reason"] = decision.reason.rawValue
        }
        var own = TraceHeaders()
        tracer.inject(span.context, into: &own, using: TraceHeaders.Writer())
        return RequestTrace(tracer: tracer, server: span, traceID: own.traceID)
    }
}

/// The spans of one request, on the worker that reads it.
final class RequestTrace {
    private let tracer: any Tracer
    private let server: any Span
    /// The request's trace id (hex), for the access log.
    let traceID: String?

    fileprivate init(tracer: any Tracer, server: any Span, traceID: String?) {
        self.tracer = tracer
        self.server = server
        self.traceID = traceID
    }

    /// A client span for one upstream attempt, and the `traceparent` (and `tracestate`) the
    /// upstream request carries: the attempt's own context, so the upstream's spans are its
    /// children.
    func startAttempt(_ variant: Variant, method: String, url: String, fallbackCause: FallbackCause?) -> (any Span, TraceHeaders) {
        let span = tracer.startSpan("\(method) \(variant.rawValue)", context: server.context, ofKind: .client)
        span.attributes["http.request.method"] = method
        span.attributes["url.full"] = url
        span.attributes["checkout_gateway.upstream"] = variant.rawValue
        if let fallbackCause { span.attributes["checkout_gateway.fallback.cause"] = fallbackCause.rawValue }
        var headers = TraceHeaders()
        tracer.inject(span.context, into: &headers, using: TraceHeaders.Writer())
        return (span, headers)
    }

    func endAttempt(_ span: any Span, outcome: AttemptOutcome) {
        switch outcome {
        case .status(let code):
            span.attributes["http.response.status_code"] = code
            if code >= 500 {
                span.attributes["error.type"] = String(code)
                span.setStatus(SpanStatus(code: .error))
            }
        case .timeout, .connectError, .badResponse:
            span.attributes["error.type"] = Self.errorType(outcome)
            span.setStatus(SpanStatus(code: .error))
        }
        span.end()
    }

    /// Ends the server span with the answer and what happened on the way.
    func finish(status: Int, result: ForwardingResult?) {
        server.attributes["http.response.status_code"] = status
        if let result {
            server.attributes["checkout_gateway.served_by"] = result.servedBy.rawValue
            if let cause = result.fallbackCause { server.attributes["checkout_gateway.fallback.cause"] = cause.rawValue }
            if result.refusedUnsafe { server.attributes["checkout_gateway.fallback.cause"] = "unsafe_method" }
        }
        if status >= 500 {
            server.attributes["error.type"] = String(status)
            server.setStatus(SpanStatus(code: .error))
        }
        server.end()
    }

    private static func errorType(_ outcome: AttemptOutcome) -> String {
        switch outcome {
        case .status(let code): String(code)
        case .timeout: "timeout"
        case .connectError: "connect_error"
        case .badResponse: "bad_response"
        }
    }
}
