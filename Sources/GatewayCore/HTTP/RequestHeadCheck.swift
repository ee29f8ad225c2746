/// The checks of the README's "Bad input" that come after parsing (`RequestParser` has already
/// enforced the syntax, the URI and header limits and the body framing), made on a complete
/// request head before anything is forwarded, in one pass over the headers.
public enum RequestHeadCheck {
    /// What the connection needs to know about an accepted head.
    public struct Accepted: Sendable, Equatable {
        /// `Expect: 100-continue` from an HTTP/1.1 client (an HTTP/1.0 client sends its body anyway).
        public var expectContinue: Bool
        /// A body follows the head (a positive Content-Length, or chunked).
        public var hasBody: Bool
        /// The client wants the connection kept open after the answer.
        public var keepAlive: Bool
        /// The client asked to switch protocols: answered without the switch, then closed.
        public var upgrade: Bool
    }

    public enum Verdict: Sendable, Equatable {
        case accept(Accepted)
        case reject(HTTPRequestError)
    }

    public static func check(_ head: ParsedRequestHead, maxRequestBody: Int) -> Verdict {
        var hosts = 0
        var expect: Substring?
        var closeToken = false
        var keepAliveToken = false
        var upgrade = false
        for field in head.fields {
            let name = head.bytes[field.name]
            switch name.count {
            case 4 where ASCIICase.equals(name, "host"): hosts += 1
            case 6 where ASCIICase.equals(name, "expect"): expect = head.value(of: field)[...]
            case 7 where ASCIICase.equals(name, "upgrade"): upgrade = true
            case 10 where ASCIICase.equals(name, "connection"):
                HeaderRules.forEachToken(in: head.value(of: field)) { token in
                    if ASCIICase.equals(token, "close") { closeToken = true }
                    if ASCIICase.equals(token, "keep-alive") { keepAliveToken = true }
                }
            default: break
            }
        }
        if head.method == "CONNECT" {
            return .reject(HTTPRequestError(501, "CONNECT is not supported: the gateway tunnels nothing"))
        }
        guard head.target.utf8.first == UInt8(ascii: "/") else {
            return .reject(HTTPRequestError(400, "only origin-form request targets (/path?query) are accepted"))
        }
        if hosts > 1 || (head.minorVersion >= 1 && hosts == 0) {
            return .reject(HTTPRequestError(400, hosts == 0 ? "an HTTP/1.1 request needs a Host header" : "more than one Host header"))
        }
        let hasBody: Bool
        switch head.framing {
        case .none: hasBody = false
        case .chunked: hasBody = true
        case .contentLength(let length):
            hasBody = length > 0
            if length > maxRequestBody {
                return .reject(HTTPRequestError(413, "the request body is larger than \(maxRequestBody) bytes"))
            }
        }
        if head.method == "HEAD" && hasBody {
            return .reject(HTTPRequestError(400, "a HEAD request cannot carry a body"))
        }
        var expectContinue = false
        if let expect {
            guard ASCIICase.equals(expect, "100-continue") else {
                return .reject(HTTPRequestError(417, "only Expect: 100-continue is supported"))
            }
            expectContinue = head.minorVersion >= 1
        }
        let keepAlive = head.minorVersion >= 1 ? !closeToken : (keepAliveToken && !closeToken)
        return .accept(Accepted(expectContinue: expectContinue, hasBody: hasBody, keepAlive: keepAlive, upgrade: upgrade))
    }
}
