import Tracing

/// The W3C trace-context fields of one message (`traceparent`, `tracestate`): what a client
/// sent, or what an upstream request carries. The carrier of the tracer's extract and inject.
struct TraceHeaders: Sendable {
    var traceparent: String?
    var tracestate: String?

    /// The trace id of `traceparent` (`00-<trace id>-<span id>-<flags>`), for the access log.
    var traceID: String? {
        guard let traceparent else { return nil }
        let parts = traceparent.split(separator: "-")
        guard parts.count == 4, parts[1].count == 32 else { return nil }
        return String(parts[1])
    }

    struct Reader: Extractor {
        func extract(key: String, from carrier: TraceHeaders) -> String? {
            switch key {
            case "traceparent": carrier.traceparent
            case "tracestate": carrier.tracestate
            default: nil
            }
        }
    }

    struct Writer: Injector {
        func inject(_ value: String, forKey key: String, into carrier: inout TraceHeaders) {
            switch key {
            case "traceparent": carrier.traceparent = value
            case "tracestate": carrier.tracestate = value
            default: break
            }
        }
    }
}
