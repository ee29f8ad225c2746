import GatewayCore

/// The header rules of the README's "Forwarding and fallback", in both directions. Names are compared case-insensitively
/// in place: nothing here lower-cases a header name on the request path.
enum ForwardingHeaders {
    static let via = "1.1 checkout-gateway"
    static let variantHeader = "X-Checkout-Variant"
    static let fallbackHeader = "X-Checkout-Fallback"
    static let requestIDHeader = "X-Request-Id"

    /// Request headers the gateway sets itself (or that libcurl sets), never copied from the client.
    private static func isReplacedOnTheWayUp(_ name: ArraySlice<UInt8>) -> Bool {
        switch name.count {
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

    /// Header lines for the upstream, shared by the attempt on new and a fallback to old: the
    /// client's fields that are passed on (hop-by-hop already left out by `headers`), copied as
    /// bytes, minus `strip` (lower-case names) and the ones the gateway sets itself.
    static func upstreamLines(
        from headers: RequestHeaders, peerIP: String?, requestID: String, strip: Set<String>, hasBody: Bool
    ) -> UpstreamHeaderLines {
        let head = headers.head
        var lines = UpstreamHeaderLines(capacity: head.bytes.count + 256)
        var forwardedFor: [ArraySlice<UInt8>] = []
        var via: [ArraySlice<UInt8>] = []
        var sawAccept = false
        var sawContentType = false
        var host: ArraySlice<UInt8>?
        headers.forEachField { field in
            let name = head.bytes[field.name]
            if isReplacedOnTheWayUp(name) {
                if host == nil, ASCIICase.equals(name, "host") { host = head.bytes[field.value] }
                return
            }
            if ASCIICase.equals(name, "x-forwarded-for") {
                forwardedFor.append(head.bytes[field.value])
                return
            }
            if ASCIICase.equals(name, "via") {
                via.append(head.bytes[field.value])
                return
            }
            if ASCIICase.equals(name, "accept") { sawAccept = true }
            if ASCIICase.equals(name, "content-type") { sawContentType = true }
            if !strip.isEmpty, strip.contains(where: { ASCIICase.equals(name, $0) }) { return }
            lines.append(name: name, value: head.bytes[field.value])
        }
        if !forwardedFor.isEmpty || peerIP != nil { lines.appendList(name: "X-Forwarded-For", values: forwardedFor, last: peerIP) }
        lines.append(name: "X-Forwarded-Proto", value: "http")
        if let host { lines.append(name: "X-Forwarded-Host".utf8, value: host) }
        lines.appendList(name: "Via", values: via, last: Self.via)
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
