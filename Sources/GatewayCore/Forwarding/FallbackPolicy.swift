/// How one upstream attempt ended, as far as fallback cares.
public enum AttemptOutcome: Sendable, Equatable {
    case status(Int)
    case timeout
    case connectError
    /// A reset after the request was sent, garbage, or ambiguous framing (two Content-Lengths,
    /// Content-Length with Transfer-Encoding): never passed through to a client.
    case badResponse

    /// A 5xx or no usable answer: what the guardrails count as an error and what makes a
    /// request's outcome `error` when it is the answer the client gets.
    public var isFailure: Bool {
        switch self {
        case .status(let code): code >= 500
        case .timeout, .connectError, .badResponse: true
        }
    }
}

/// Why a request went from new to old; the label of `gateway_fallbacks_total{cause}`.
public enum FallbackCause: String, Sendable, Hashable, CaseIterable {
    case status5xx = "5xx"
    case timeout
    case connectError = "connect_error"
    case badResponse = "bad_response"

    /// The `fallback.on` entry that governs this cause; a bad response counts as a 5xx.
    var trigger: FallbackTrigger {
        switch self {
        case .status5xx, .badResponse: .status5xx
        case .timeout: .timeout
        case .connectError: .connectError
        }
    }
}

public enum FallbackVerdict: Sendable, Equatable {
    /// Give the client this attempt's answer (for a failure: 502 or 504).
    case serve
    /// Replay the buffered request to old.
    case fallback(FallbackCause)
    /// The attempt failed and a replay could repeat a side effect (a card charge): answer with
    /// new's failure and count it as an error with cause `unsafe_method`.
    case refuse(FallbackCause)
}

extension FallbackConfig {
    /// Whether an attempt on new is replayed to old. Old's attempts never come here: old is never
    /// retried and never falls back.
    public func verdict(for outcome: AttemptOutcome, method: String, hasIdempotencyKey: Bool) -> FallbackVerdict {
        let cause: FallbackCause
        switch outcome {
        case .status(let code) where (500...599).contains(code): cause = .status5xx
        case .status: return .serve
        case .timeout: cause = .timeout
        case .connectError: cause = .connectError
        case .badResponse: cause = .badResponse
        }
        guard on.contains(cause.trigger) else { return .serve }
        if cause == .connectError { return .fallback(cause) }
        return allowsReplay(method: method, hasIdempotencyKey: hasIdempotencyKey) ? .fallback(cause) : .refuse(cause)
    }

    /// Whether a request may reach an upstream twice: idempotent methods always; others as
    /// `unsafe_methods` says (by default only with an idempotency key the upstream can
    /// de-duplicate on). Governs fallback replays and whether a request may travel on a reused
    /// connection, which libcurl re-sends on by itself when it dies.
    public func allowsReplay(method: String, hasIdempotencyKey: Bool) -> Bool {
        if HTTPMethods.isIdempotent(method) { return true }
        switch unsafeMethods {
        case .always: return true
        case .never: return false
        case .idempotencyKey: return hasIdempotencyKey
        }
    }
}

public enum HTTPMethods {
    /// RFC 9110 §9.2.2.
    public static func isIdempotent(_ method: String) -> Bool {
        switch method {
        case "GET", "HEAD", "OPTIONS", "TRACE", "PUT", "DELETE": true
        default: false
        }
    }
}

/// What a client gets when the serving attempt failed without an HTTP answer.
public enum FailureResponse {
    public static func status(for outcome: AttemptOutcome) -> Int? {
        switch outcome {
        case .status: nil
        case .timeout: 504
        case .connectError, .badResponse: 502
        }
    }

    public static func message(for outcome: AttemptOutcome, variant: Variant) -> String {
        switch outcome {
        case .status(let code): "the \(variant.rawValue) checkout answered \(code)"
        case .timeout: "the \(variant.rawValue) checkout did not answer in time"
        case .connectError: "the \(variant.rawValue) checkout could not be reached"
        case .badResponse: "the \(variant.rawValue) checkout sent an invalid response"
        }
    }
}
