import Foundation
import GatewayCore
import Logging

/// One JSON line per request, written through swift-log so the process decides where it goes
/// (`checkout-gateway serve` sends it to stdout, alone on its line).
struct AccessLog: Sendable {
    let logger: Logger

    struct Entry {
        var requestID: String
        var method: String
        var path: String
        var status: Int
        var variant: Variant
        var reason: String
        var fallbackCause: String?
        var upstreamMs: Double
        var totalMs: Double
        /// With tracing on: the request's trace id, to find its spans.
        var traceID: String?
    }

    func write(_ entry: Entry) {
        var line = "{\"time\":\"\(LogTime.now())\",\"request_id\":\(JSONString.quote(entry.requestID))"
        line += ",\"method\":\(JSONString.quote(entry.method)),\"path\":\(JSONString.quote(entry.path))"
        line += ",\"status\":\(entry.status),\"variant\":\"\(entry.variant.rawValue)\",\"reason\":\"\(entry.reason)\""
        line += ",\"fallback\":\(entry.fallbackCause.map { "\"\($0)\"" } ?? "null")"
        line += ",\"upstream_ms\":\(Self.milliseconds(entry.upstreamMs)),\"total_ms\":\(Self.milliseconds(entry.totalMs))"
        if let traceID = entry.traceID { line += ",\"trace_id\":\"\(traceID)\"" }
        line += "}"
        logger.info("\(line)")
    }

    private static func milliseconds(_ value: Double) -> String {
        String((value * 1000).rounded() / 1000)
    }
}

/// RFC 3339 UTC timestamps with milliseconds, without a DateFormatter on the request path.
enum LogTime {
    static func now() -> String {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        var seconds = spec.tv_sec
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func two(_ value: Int32) -> String { value < 10 ? "0\(value)" : "\(value)" }
        let millis = Int(spec.tv_nsec / 1_000_000)
        let millisText = millis < 10 ? "00\(millis)" : (millis < 100 ? "0\(millis)" : "\(millis)")
        return
            "\(parts.tm_year + 1900)-\(two(parts.tm_mon + 1))-\(two(parts.tm_mday))T\(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec)).\(millisText)Z"
    }
}
