import GatewayCore
import NIOHTTP1

/// The checks of the README's "Bad input" that come after parsing (`RequestParser` has already enforced the
/// syntax, the URI and header limits and the body framing), made on a complete request head
/// before anything is forwarded, in one pass over the headers.
enum HeadValidator {
    enum Verdict: Equatable {
        /// `hasBody`: a body follows the head (a positive Content-Length, or chunked).
        case accept(expectContinue: Bool, hasBody: Bool)
        case reject(HTTPResponseStatus, String)
    }

    static func check(_ head: HTTPRequestHead, limits: Limits) -> Verdict {
        var hosts = 0
        var chunked = false
        var contentLength: Int?
        var expect: String?
        for (name, value) in head.headers {
            switch name.utf8.count {
            case 4 where ASCIICase.equals(name, "host"): hosts += 1
            case 6 where ASCIICase.equals(name, "expect"): expect = value
            // The parser accepted only digits, equal where repeated.
            case 14 where ASCIICase.equals(name, "content-length"): contentLength = Int(value)
            case 17 where ASCIICase.equals(name, "transfer-encoding"): chunked = true
            default: break
            }
        }
        if head.method == .CONNECT {
            return .reject(.notImplemented, "CONNECT is not supported: the gateway tunnels nothing")
        }
        guard head.uri.hasPrefix("/") else {
            return .reject(.badRequest, "only origin-form request targets (/path?query) are accepted")
        }
        if hosts > 1 || (head.version.minor >= 1 && hosts == 0) {
            return .reject(.badRequest, hosts == 0 ? "an HTTP/1.1 request needs a Host header" : "more than one Host header")
        }
        let hasBody = chunked || (contentLength ?? 0) > 0
        if head.method == .HEAD && hasBody {
            return .reject(.badRequest, "a HEAD request cannot carry a body")
        }
        var expectContinue = false
        if let expect {
            guard ASCIICase.equals(expect.trimmingSpaces, "100-continue") else {
                return .reject(.expectationFailed, "only Expect: 100-continue is supported")
            }
            expectContinue = true
        }
        if let contentLength, contentLength > limits.maxRequestBody {
            return .reject(.payloadTooLarge, "the request body is larger than \(limits.maxRequestBody) bytes")
        }
        return .accept(expectContinue: expectContinue, hasBody: hasBody)
    }
}
