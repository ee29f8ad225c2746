import GatewayCore

/// One request as it goes to an upstream: everything already rewritten, nothing left to decide.
struct UpstreamRequest: Sendable {
    var method: String
    /// The full URL: the upstream's prefix plus the client's path and query.
    var url: String
    /// Header lines in libcurl's form, including the blank entries that stop libcurl from adding
    /// defaults of its own.
    var headerLines: UpstreamHeaderLines
    var body: [UInt8]?
    /// Whether sending this request twice is acceptable (the rule of fallback replays). When it
    /// is not, it goes out on a fresh connection: libcurl silently re-sends a request whose
    /// reused connection died before an answer, and only on reused connections.
    var mayResend: Bool
}

/// How an attempt ended, and how many times libcurl sent the request again by itself.
struct UpstreamReply: Sendable {
    var result: UpstreamResult
    var resends = 0
}

/// An upstream's complete answer. Bodies are buffered whole so the gateway can still fall back
/// after reading a 5xx, and so no byte of a failed attempt ever reaches the client.
struct UpstreamResponse: Sendable {
    var status: Int
    var headers: [(name: String, value: String)]
    var body: [UInt8]
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
