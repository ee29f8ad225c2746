import GatewayCore
import NIOHTTP1

/// The header rules of DESIGN §5, in both directions.
enum ForwardingHeaders {
    static let via = "1.1 checkout-gateway"
    static let variantHeader = "X-Checkout-Variant"
    static let fallbackHeader = "X-Checkout-Fallback"
    static let requestIDHeader = "X-Request-Id"

    /// Removes hop-by-hop headers and every header the message's `Connection` names.
    static func removeHopByHop(_ headers: inout HTTPHeaders) {
        let nominated = HeaderRules.connectionNominated(headers[canonicalForm: "connection"].map(String.init))
        guard headers.contains(where: { HeaderRules.hopByHop.contains($0.name.lowercased()) || nominated.contains($0.name.lowercased()) })
        else { return }
        var kept = HTTPHeaders()
        for (name, value) in headers {
            let lower = name.lowercased()
            if !HeaderRules.hopByHop.contains(lower) && !nominated.contains(lower) { kept.add(name: name, value: value) }
        }
        headers = kept
    }

    /// Header lines for the upstream, shared by the attempt on new and a fallback to old.
    /// `headers` has already lost its hop-by-hop headers.
    static func upstreamLines(
        from headers: HTTPHeaders, peerIP: String?, requestID: String, strip: Set<String>, hasBody: Bool
    ) -> [String] {
        var lines: [String] = []
        lines.reserveCapacity(headers.count + 8)
        var forwardedFor: [String] = []
        var via: [String] = []
        var sawAccept = false
        var sawContentType = false
        for (name, value) in headers {
            let lower = name.lowercased()
            switch lower {
            case "host", "content-length", "expect", "x-request-id", "x-forwarded-proto", "x-forwarded-host",
                "x-checkout-variant", "x-checkout-fallback":
                continue
            case "x-forwarded-for":
                forwardedFor.append(value)
                continue
            case "via":
                via.append(value)
                continue
            case "accept":
                sawAccept = true
            case "content-type":
                sawContentType = true
            default:
                if strip.contains(lower) { continue }
            }
            lines.append(value.isEmpty ? "\(name);" : "\(name): \(value)")
        }
        if let peerIP { forwardedFor.append(peerIP) }
        if !forwardedFor.isEmpty { lines.append("X-Forwarded-For: \(forwardedFor.joined(separator: ", "))") }
        lines.append("X-Forwarded-Proto: http")
        if let host = headers.first(name: "host") { lines.append("X-Forwarded-Host: \(host)") }
        via.append(Self.via)
        lines.append("Via: \(via.joined(separator: ", "))")
        lines.append("\(requestIDHeader): \(requestID)")
        // Blank values stop libcurl from adding headers the client did not send.
        if !sawAccept { lines.append("Accept:") }
        if hasBody && !sawContentType { lines.append("Content-Type:") }
        lines.append("Expect:")
        return lines
    }

    /// The client's response headers from an upstream's: hop-by-hop and framing removed (the
    /// gateway frames the buffered body itself), gateway headers added.
    static func clientHeaders(from upstream: [(name: String, value: String)], keepContentLength: Bool) -> HTTPHeaders {
        var headers = HTTPHeaders(upstream.map { ($0.name, $0.value) })
        removeHopByHop(&headers)
        if !keepContentLength { headers.remove(name: "content-length") }
        headers.remove(name: variantHeader)
        headers.remove(name: requestIDHeader)
        return headers
    }
}
