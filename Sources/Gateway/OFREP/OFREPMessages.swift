/// The OpenFeature Remote Evaluation Protocol's bodies, as far as the gateway speaks it: an
/// evaluation request, a flag's evaluation, the bulk answer and the error answer.

/// `{"context": {"targetingKey": "...", ...}}`. The context stays a raw JSON value so each way
/// it can be wrong gets the protocol's own error code (missing, not an object, no key).
struct OFREPRequest: Decodable {
    var context: JSONValue?
}

/// One flag's evaluation (`200` of the single form, an element of the bulk form's `flags`).
struct OFREPEvaluation: Encodable, Equatable {
    struct Metadata: Encodable, Equatable {
        /// The gateway's own reason (`split`, `kill_switch`, …): finer than OFREP's vocabulary.
        var gatewayReason: String
        var bucket: Int
        var percent: Int
    }

    var key: String
    var value: Bool
    var variant: String
    var reason: String
    var metadata: Metadata
}

/// `POST /ofrep/v1/evaluate/flags`: every flag the gateway has (one).
struct OFREPBulkEvaluation: Encodable {
    var flags: [OFREPEvaluation]
}

/// A `400`/`404` answer; `key` only in the single-flag form.
struct OFREPFailure: Error, Encodable, Equatable {
    var key: String?
    var errorCode: String
    var errorDetails: String
    /// Not part of the body: the HTTP status the failure is answered with.
    var status: Int = 400

    enum CodingKeys: String, CodingKey {
        case key, errorCode, errorDetails
    }

    static let targetingKeyMissing = OFREPFailure(errorCode: "TARGETING_KEY_MISSING", errorDetails: "context.targetingKey is required")
}

/// Any JSON value: what an evaluation context's attributes may hold.
enum JSONValue: Decodable, Equatable {
    case string(String)
    case number(Double)
    case bool(Bool)
    case object([String: JSONValue])
    case array([JSONValue])
    case null

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Double.self) {
            self = .number(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([String: JSONValue].self) {
            self = .object(value)
        } else {
            self = .array(try container.decode([JSONValue].self))
        }
    }

    /// A scalar as the text a header would carry: targeting rules compare strings. Whole numbers
    /// print without a fraction (`3`, not `3.0`); objects, arrays and null have no text.
    var scalarText: String? {
        switch self {
        case .string(let text): return text
        case .bool(let value): return value ? "true" : "false"
        case .number(let value):
            if value.rounded() == value, abs(value) < 1e15 { return String(Int64(value)) }
            return String(value)
        case .object, .array, .null: return nil
        }
    }
}
