/// `tracing`: OpenTelemetry traces of every request (a server span, and a client span per
/// upstream attempt), exported over OTLP/HTTP. Absent, and without the standard `OTEL_*`
/// variables, nothing is traced and the request path does no tracing work at all.
public struct TracingConfig: Sendable, Equatable {
    /// How the spans travel to the collector.
    public enum WireFormat: String, Sendable, Equatable, CaseIterable {
        case protobuf = "http/protobuf"
        case json = "http/json"
    }

    /// Where spans are POSTed, used as written (e.g. `http://collector:4318/v1/traces`).
    public var otlpEndpoint: String
    /// The share of new traces kept (0…1); a request that arrives with a `traceparent` follows
    /// its caller's sampling decision.
    public var sampleRatio = 1.0
    public var wireFormat = WireFormat.protobuf

    public init(otlpEndpoint: String) {
        self.otlpEndpoint = otlpEndpoint
    }
}

extension ConfigDecoder {
    mutating func tracingSection(_ node: YAMLNode) -> TracingConfig? {
        guard let map = mapping(node, "tracing", allowed: ["otlp_endpoint", "sample_ratio", "protocol"]) else { return nil }
        let endpoint = required(map["otlp_endpoint"], in: map, "tracing.otlp_endpoint").flatMap { httpURL($0, "tracing.otlp_endpoint")?.text }
        let ratio = number(map["sample_ratio"], "tracing.sample_ratio", in: 0...1)
        var format: TracingConfig.WireFormat?
        if let node = map["protocol"], let text = string(node, "tracing.protocol") {
            format = TracingConfig.WireFormat(rawValue: text)
            if format == nil {
                fail(
                    node.mark,
                    "tracing.protocol must be one of \(TracingConfig.WireFormat.allCases.map(\.rawValue).joined(separator: ", ")), got \(text)")
            }
        }
        guard let endpoint else { return nil }
        var tracing = TracingConfig(otlpEndpoint: endpoint)
        if let ratio { tracing.sampleRatio = ratio }
        if let format { tracing.wireFormat = format }
        return tracing
    }
}
