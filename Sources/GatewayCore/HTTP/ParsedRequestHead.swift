/// A request head as the parser accepted it: syntax and message framing already checked
/// (RFC 9112 and the README's "Bad input"); what the gateway then decides about it is the caller's.
public struct ParsedRequestHead: Sendable, Equatable {
    public enum Framing: Sendable, Equatable {
        /// No body follows (no Content-Length, or Content-Length: 0).
        case none
        case contentLength(Int)
        case chunked
    }

    public var method: String
    public var target: String
    /// 0 for HTTP/1.0, 1 for HTTP/1.1 (the only versions accepted).
    public var minorVersion: Int
    /// Field names and values as received (values without surrounding whitespace), in order.
    public var headers: [(name: String, value: String)]
    public var framing: Framing

    public init(method: String, target: String, minorVersion: Int, headers: [(name: String, value: String)], framing: Framing) {
        self.method = method
        self.target = target
        self.minorVersion = minorVersion
        self.headers = headers
        self.framing = framing
    }

    public static func == (lhs: ParsedRequestHead, rhs: ParsedRequestHead) -> Bool {
        lhs.method == rhs.method && lhs.target == rhs.target && lhs.minorVersion == rhs.minorVersion
            && lhs.framing == rhs.framing && lhs.headers.elementsEqual(rhs.headers) { $0.name == $1.name && $0.value == $1.value }
    }
}

/// Why a request cannot be read: the status the README's "Bad input" answers with, and a message for the
/// client and the log. The connection is closed after the answer.
public struct HTTPRequestError: Error, Sendable, Equatable, CustomStringConvertible {
    public var status: Int
    public var message: String

    public init(_ status: Int, _ message: String) {
        self.status = status
        self.message = message
    }

    public var description: String { "\(status): \(message)" }
}

/// The parser's limits; `RequestParser` reads them at the start of every request, so a reload
/// that changes them applies from the next request on.
public struct RequestParserLimits: Sendable, Equatable {
    public var maxURIBytes: Int
    /// The header section (and a chunked body's trailer section), as received, line endings included.
    public var maxHeaderBytes: Int

    public init(maxURIBytes: Int, maxHeaderBytes: Int) {
        self.maxURIBytes = maxURIBytes
        self.maxHeaderBytes = maxHeaderBytes
    }
}
