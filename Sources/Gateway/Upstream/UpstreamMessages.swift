import GatewayCore
import NIOCore

/// One request as it goes to an upstream: everything already rewritten, nothing left to decide.
struct UpstreamRequest: Sendable {
    var method: String
    /// The full URL: the upstream's prefix plus the client's path and query.
    var url: String
    /// Header lines in libcurl's form (`Name: value`, or `Name;` for an empty value), including
    /// the blank entries that stop libcurl from adding defaults of its own.
    var headerLines: [String]
    var body: ByteBuffer?
}

/// An upstream's complete answer. Bodies are buffered whole so the gateway can still fall back
/// after reading a 5xx, and so no byte of a failed attempt ever reaches the client.
struct UpstreamResponse: Sendable {
    var status: Int
    var headers: [(name: String, value: String)]
    var body: ByteBuffer
}

/// How an attempt ended: an HTTP answer or a failure that fallback classifies.
enum UpstreamResult: Sendable {
    case response(UpstreamResponse)
    case failure(AttemptOutcome, detail: String)

    var outcome: AttemptOutcome {
        switch self {
        case .response(let response): .status(response.status)
        case .failure(let outcome, _): outcome
        }
    }
}
