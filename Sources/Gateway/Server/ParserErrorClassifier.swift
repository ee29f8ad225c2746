import Foundation
import NIOHTTP1

/// Maps an HTTP parser error to the status DESIGN §9 asks for. The parser reports every
/// Transfer-Encoding problem alike, so the raw head is consulted to tell an unsupported coding
/// (501) from Content-Length with Transfer-Encoding (400).
enum ParserErrorClassifier {
    static func status(for error: HTTPParserError, recentBytes: String) -> HTTPResponseStatus {
        switch error {
        case .headerOverflow:
            return .requestHeaderFieldsTooLarge
        case .unknown:
            guard let head = lastHeadWithTransferEncoding(in: recentBytes) else { return .badRequest }
            if head.hasContentLength || head.isHTTP10 { return .badRequest }
            return head.codings == ["chunked"] ? .badRequest : .notImplemented
        default:
            return .badRequest
        }
    }

    private struct HeadSummary {
        var hasContentLength = false
        var isHTTP10 = false
        var codings: [String] = []
    }

    private static func lastHeadWithTransferEncoding(in text: String) -> HeadSummary? {
        var found: HeadSummary?
        for block in text.split(separator: "\r\n\r\n", omittingEmptySubsequences: true) {
            var summary = HeadSummary()
            var sawTransferEncoding = false
            for line in block.split(separator: "\r\n") {
                let lower = line.lowercased()
                if lower.hasSuffix(" http/1.0") { summary.isHTTP10 = true }
                if lower.hasPrefix("content-length") { summary.hasContentLength = true }
                if lower.hasPrefix("transfer-encoding"), let colon = lower.firstIndex(of: ":") {
                    sawTransferEncoding = true
                    summary.codings += lower[lower.index(after: colon)...].split(separator: ",").map {
                        $0.trimmingCharacters(in: .whitespaces)
                    }
                }
            }
            if sawTransferEncoding { found = summary }
        }
        return found
    }
}
