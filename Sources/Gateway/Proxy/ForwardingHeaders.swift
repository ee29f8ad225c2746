import GatewayCore

/// The header rules of the README's "Forwarding and fallback", in both directions. Names are compared case-insensitively
/// in place: nothing here lower-cases a header name on the request path.
enum ForwardingHeaders {
    static let via = "1.1 checkout-gateway"
    static let variantHeader = "X-Checkout-Variant"
    static let fallbackHeader = "X-Checkout-Fallback"
    static let requestIDHeader = "X-Request-Id"

    /// Removes hop-by-hop headers and every header the message's `Connection` names.
    static func removeHopByHop(_ headers: inout HeaderFields) {
        let filter = HeaderRules.HopByHopFilter(connectionValues: headers.values(name: "connection"))
        guard headers.contains(where: { filter.drops($0.name) }) else { return }
        headers.removeAll { filter.drops($0.name) }
    }

    /// Request headers the gateway sets itself (or that libcurl sets), never copied from the client.
    private static func isReplacedOnTheWayUp(_ name: String) -> Bool {
        switch name.utf8.count {
        case 4: ASCIICase.equals(name, "host")
        case 6: ASCIICase.equals(name, "expect")
        case 12: ASCIICase.equals(name, "x-request-id")
        case 14: ASCIICase.equals(name, "content-length")
        case 16: ASCIICase.equals(name, "x-forwarded-host")
        case 17: ASCIICase.equals(name, "x-forwarded-proto")
        case 18: ASCIICase.equals(name, "x-checkout-variant")
        case 19: ASCIICase.equals(name, "x-checkout-fallback")
        default: false
        }
    }

    /// Header lines for the upstream, shared by the attempt on new and a fallback to old.
    /// `headers` has already lost its hop-by-hop headers; `strip` names (lower-case) go too.
    static func upstreamLines(
        from headers: HeaderFields, peerIP: String?, requestID: String, strip: Set<String>, hasBody: Bool
    ) -> UpstreamHeaderLines {
        var lines = UpstreamHeaderLines()
        var forwardedFor: [Substring] = []
        var via: [Substring] = []
        var sawAccept = false
        var sawContentType = false
        var host: String?
        for (name, value) in headers {
            if isReplacedOnTheWayUp(name) {
                if host == nil, ASCIICase.equals(name, "host") { host = value }
                continue
            }
            if ASCIICase.equals(name, "x-forwarded-for") {
                forwardedFor.append(value[...])
                continue
            }
            if ASCIICase.equals(name, "via") {
                via.append(value[...])
                continue
            }
            if ASCIICase.equals(name, "accept") { sawAccept = true }
            if ASCIICase.equals(name, "content-type") { sawContentType = true }
            if !strip.isEmpty, strip.contains(where: { ASCIICase.equals($0, name) }) { continue }
            lines.append(name: name, value: value)
        }
        if let peerIP { forwardedFor.append(peerIP[...]) }
        if !forwardedFor.isEmpty { lines.append(name: "X-Forwarded-For", value: forwardedFor.joined(separator: ", ")) }
        lines.append(name: "X-Forwarded-Proto", value: "http")
        if let host { lines.append(name: "X-Forwarded-Host", value: host) }
        via.append(Self.via[...])
        lines.append(name: "Via", value: via.count == 1 ? Self.via : via.joined(separator: ", "))
        lines.append(name: "X-Request-Id", value: requestID)
        // Blank values stop libcurl from adding headers the client did not send.
        if !sawAccept { lines.suppress("Accept") }
        if hasBody && !sawContentType { lines.suppress("Content-Type") }
        lines.suppress("Expect")
        return lines
    }

    /// The client's response headers from an upstream's: hop-by-hop and framing removed (the
    /// gateway frames the buffered body itself), gateway headers replaced.
    static func clientHeaders(from upstream: HeaderFields, keepContentLength: Bool) -> HeaderFields {
        let filter = HeaderRules.HopByHopFilter(connectionValues: upstream.values(name: "connection"))
        var headers = HeaderFields()
        headers.reserveCapacity(upstream.count + 4)
        for (name, value) in upstream {
            if filter.drops(name) { continue }
            if !keepContentLength && ASCIICase.equals(name, "content-length") { continue }
            if ASCIICase.equals(name, variantHeader) || ASCIICase.equals(name, requestIDHeader) { continue }
            headers.append((name, value))
        }
        return headers
    }
}
