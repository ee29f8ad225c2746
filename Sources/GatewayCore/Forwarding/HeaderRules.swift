/// The header rules of forwarding that do not depend on an HTTP library.
public enum HeaderRules {
    /// Whether a header is hop-by-hop by its own name (RFC 9110 §7.6.1: Connection, Keep-Alive,
    /// Proxy-Connection, TE, Trailer, Transfer-Encoding, Upgrade), never forwarded in either
    /// direction; every header named in `Connection` joins them.
    @inlinable
    public static func isHopByHop(_ name: some StringProtocol) -> Bool {
        isHopByHop(length: name.utf8.count) { ASCIICase.equals(name, $0) }
    }

    /// The same for a name still in bytes (a request field).
    @inlinable
    public static func isHopByHop(_ name: ArraySlice<UInt8>) -> Bool {
        isHopByHop(length: name.count) { ASCIICase.equals(name, $0) }
    }

    /// Picks the candidates by length first, so most names cost one comparison of lengths.
    @inlinable
    static func isHopByHop(length: Int, _ named: (String) -> Bool) -> Bool {
        switch length {
        case 2: named("te")
        case 7: named("trailer") || named("upgrade")
        case 10: named("connection") || named("keep-alive")
        case 16: named("proxy-connection")
        case 17: named("transfer-encoding")
        default: false
        }
    }

    /// The lower-cased header names listed in `Connection` header values, leaving out the
    /// option `close` and names that are hop-by-hop anyway (`Connection: keep-alive`, the common
    /// case, so yields an empty set without lower-casing anything).
    public static func connectionNominated(_ connectionValues: [String]) -> Set<String> {
        var names = Set<String>()
        for value in connectionValues {
            forEachToken(in: value) { name in
                if name.isEmpty || ASCIICase.equals(name, "close") || isHopByHop(name) { return }
                names.insert(name.lowercased())
            }
        }
        return names
    }

    /// Calls `body` with each comma-separated token of a header value, without its optional
    /// whitespace; builds no array (this runs for every request and every answer).
    @inlinable
    public static func forEachToken(in value: String, _ body: (Substring) -> Void) {
        var rest = value[...]
        while true {
            let comma = rest.firstIndex(of: ",") ?? rest.endIndex
            body(rest[..<comma].trimmingSpaces)
            guard comma < rest.endIndex else { return }
            rest = rest[rest.index(after: comma)...]
        }
    }

    /// The headers one message must not pass on: hop-by-hop by name, and whatever its own
    /// `Connection` header lists.
    public struct HopByHopFilter {
        private let nominated: Set<String>

        /// Concrete, not generic: this runs for every request and every answer, and an
        /// unspecialised generic across the module boundary costs runtime metadata look-ups.
        public init(connectionValues: [String]) {
            nominated = connectionValues.isEmpty ? [] : HeaderRules.connectionNominated(connectionValues)
        }

        public func drops(_ name: String) -> Bool {
            HeaderRules.isHopByHop(name) || (!nominated.isEmpty && nominated.contains(name.lowercased()))
        }

        /// The same for a name still in bytes (a request field), without making a `String`
        /// unless the message's `Connection` nominated something.
        public func drops(_ name: ArraySlice<UInt8>) -> Bool {
            HeaderRules.isHopByHop(name) || (!nominated.isEmpty && nominated.contains { ASCIICase.equals(name, $0) })
        }
    }

    /// A client's `X-Request-Id` is kept when it is 1–128 characters of letters, digits and
    /// `-_.:`; anything else is replaced so logs and upstreams never see injected text.
    public static func isSaneRequestID(_ value: String) -> Bool {
        let utf8 = value.utf8
        guard !utf8.isEmpty, utf8.count <= 128 else { return false }
        return utf8.allSatisfy { byte in
            (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
                || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "_") || byte == UInt8(ascii: ".") || byte == UInt8(ascii: ":")
        }
    }

    /// A `Content-Length` value as RFC 9110 allows it: digits only.
    public static func contentLength(_ value: String) -> Int? {
        let trimmed = value.trimmingSpaces
        guard !trimmed.isEmpty, trimmed.utf8.count <= 18, trimmed.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return nil }
        return Int(trimmed)
    }
}

extension StringProtocol {
    /// The text without leading and trailing spaces and tabs (HTTP's optional whitespace).
    @inlinable
    public var trimmingSpaces: Substring {
        let view = self[...]
        let start = view.firstIndex { $0 != " " && $0 != "\t" } ?? view.endIndex
        let end = view.lastIndex { $0 != " " && $0 != "\t" }.map { view.index(after: $0) } ?? start
        return Substring(view[start..<Swift.max(start, end)])
    }
}
