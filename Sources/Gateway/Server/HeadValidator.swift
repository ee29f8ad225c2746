import GatewayCore
import NIOHTTP1

/// The checks of DESIGN §9 that the HTTP parser leaves to the application, made on a complete
/// request head before anything is forwarded, in one pass over the headers.
enum HeadValidator {
    enum Verdict: Equatable {
        /// `hasBody`: a body follows the head (a positive Content-Length, or chunked).
        case accept(expectContinue: Bool, hasBody: Bool)
        case reject(HTTPResponseStatus, String)
    }

    static func check(_ head: HTTPRequestHead, limits: Limits) -> Verdict {
        if head.uri.utf8.count > limits.maxURIBytes {
            return .reject(.uriTooLong, "the request URI is longer than \(limits.maxURIBytes) bytes")
        }
        var headerBytes = 0
        var hosts = 0
        var transferEncodings: [String] = []
        var contentLengths: [String] = []
        var expect: String?
        for (name, value) in head.headers {
            headerBytes += name.utf8.count + value.utf8.count + 4
            switch name.utf8.count {
            case 4 where ASCIICase.equals(name, "host"): hosts += 1
            case 6 where ASCIICase.equals(name, "expect"): expect = value
            case 14 where ASCIICase.equals(name, "content-length"): contentLengths.append(value)
            case 17 where ASCIICase.equals(name, "transfer-encoding"): transferEncodings.append(value)
            default: break
            }
        }
        if headerBytes > limits.maxHeaderBytes {
            return .reject(.requestHeaderFieldsTooLarge, "the request headers are larger than \(limits.maxHeaderBytes) bytes")
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
        if !transferEncodings.isEmpty {
            if head.version.major == 1 && head.version.minor == 0 {
                return .reject(.badRequest, "Transfer-Encoding is not allowed on an HTTP/1.0 request")
            }
            if transferEncodings.count != 1 || !ASCIICase.equals(transferEncodings[0].trimmingSpaces, "chunked") {
                return .reject(.notImplemented, "only Transfer-Encoding: chunked is supported")
            }
            if !contentLengths.isEmpty {
                return .reject(.badRequest, "both Content-Length and Transfer-Encoding")
            }
        }
        var contentLength: Int?
        for value in contentLengths {
            guard let length = HeaderRules.contentLength(value), contentLength == nil || contentLength == length else {
                return .reject(.badRequest, "invalid or conflicting Content-Length")
            }
            contentLength = length
        }
        if head.method == .HEAD && (!transferEncodings.isEmpty || (contentLength ?? 0) > 0) {
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
        return .accept(expectContinue: expectContinue, hasBody: !transferEncodings.isEmpty || (contentLength ?? 0) > 0)
    }
}
