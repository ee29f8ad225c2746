import GatewayCore
import NIOHTTP1

/// The checks of DESIGN §9 that the HTTP parser leaves to the application, made on a complete
/// request head before anything is forwarded.
enum HeadValidator {
    enum Verdict: Equatable {
        case accept(contentLength: Int?, expectContinue: Bool)
        case reject(HTTPResponseStatus, String)
    }

    static func check(_ head: HTTPRequestHead, limits: Limits) -> Verdict {
        let headers = head.headers
        if head.uri.utf8.count > limits.maxURIBytes {
            return .reject(.uriTooLong, "the request URI is longer than \(limits.maxURIBytes) bytes")
        }
        var headerBytes = 0
        for (name, value) in headers { headerBytes += name.utf8.count + value.utf8.count + 4 }
        if headerBytes > limits.maxHeaderBytes {
            return .reject(.requestHeaderFieldsTooLarge, "the request headers are larger than \(limits.maxHeaderBytes) bytes")
        }
        guard head.uri.hasPrefix("/") else {
            return .reject(.badRequest, "only origin-form request targets (/path?query) are accepted")
        }
        let hosts = headers[canonicalForm: "host"]
        if hosts.count > 1 || (head.version.minor >= 1 && hosts.isEmpty) {
            return .reject(.badRequest, hosts.isEmpty ? "an HTTP/1.1 request needs a Host header" : "more than one Host header")
        }
        let transferEncodings = headers[canonicalForm: "transfer-encoding"]
        if !transferEncodings.isEmpty {
            if head.version.major == 1 && head.version.minor == 0 {
                return .reject(.badRequest, "Transfer-Encoding is not allowed on an HTTP/1.0 request")
            }
            if transferEncodings.count != 1 || transferEncodings[0].lowercased() != "chunked" {
                return .reject(.notImplemented, "only Transfer-Encoding: chunked is supported")
            }
            if headers.contains(name: "content-length") {
                return .reject(.badRequest, "both Content-Length and Transfer-Encoding")
            }
        }
        var contentLength: Int?
        for value in headers[canonicalForm: "content-length"] {
            guard let length = HeaderRules.contentLength(String(value)), contentLength == nil || contentLength == length else {
                return .reject(.badRequest, "invalid or conflicting Content-Length")
            }
            contentLength = length
        }
        var expectContinue = false
        if let expect = headers.first(name: "expect") {
            guard expect.lowercased() == "100-continue" else {
                return .reject(.expectationFailed, "only Expect: 100-continue is supported")
            }
            expectContinue = true
        }
        if let contentLength, contentLength > limits.maxRequestBody {
            return .reject(.payloadTooLarge, "the request body is larger than \(limits.maxRequestBody) bytes")
        }
        return .accept(contentLength: contentLength, expectContinue: expectContinue)
    }
}
