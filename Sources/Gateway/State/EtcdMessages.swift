import Foundation

/// The parts of etcd's v3 JSON API (the gRPC gateway: `/v3/kv/*`, `/v3/lease/*`, `/v3/watch`)
/// the gateway uses. Keys and values travel base64-encoded; 64-bit numbers as decimal strings.
enum Etcd {
    struct Header: Decodable {
        var revision: String?

        var revisionNumber: Int64 { revision.flatMap(Int64.init) ?? 0 }
    }

    struct KeyValue: Decodable {
        var key: String
        var value: String?
        var createRevision: String?
        var modRevision: String?

        enum CodingKeys: String, CodingKey {
            case key, value
            case createRevision = "create_revision"
            case modRevision = "mod_revision"
        }

        var keyText: String { Etcd.decode(key) ?? "" }
        var valueData: Data { value.flatMap { Data(base64Encoded: $0) } ?? Data() }
    }

    struct RangeRequest: Encodable {
        var key: String
        var rangeEnd: String?

        enum CodingKeys: String, CodingKey {
            case key
            case rangeEnd = "range_end"
        }
    }

    struct RangeResponse: Decodable {
        var header: Header?
        var kvs: [KeyValue]?
    }

    struct PutRequest: Encodable {
        var key: String
        var value: String
        var lease: String?
        /// Ask for the value the put replaced (in the answer's `prev_kv`).
        var prevKv: Bool?

        enum CodingKeys: String, CodingKey {
            case key, value, lease
            case prevKv = "prev_kv"
        }
    }

    struct PutResponse: Decodable {
        var prevKv: KeyValue?

        enum CodingKeys: String, CodingKey {
            case prevKv = "prev_kv"
        }
    }

    struct ResponseOp: Decodable {
        var responsePut: PutResponse?

        enum CodingKeys: String, CodingKey {
            case responsePut = "response_put"
        }
    }

    struct DeleteRangeRequest: Encodable {
        var key: String
        var rangeEnd: String?

        enum CodingKeys: String, CodingKey {
            case key
            case rangeEnd = "range_end"
        }
    }

    struct Compare: Encodable {
        var key: String
        var result = "EQUAL"
        var target: String
        var createRevision: String?
        var value: String?

        enum CodingKeys: String, CodingKey {
            case key, result, target, value
            case createRevision = "create_revision"
        }

        /// The key does not exist.
        static func absent(_ key: String) -> Compare {
            Compare(key: Etcd.encode(key), target: "CREATE", createRevision: "0")
        }

        /// The key holds exactly these bytes.
        static func holds(_ key: String, _ value: Data) -> Compare {
            Compare(key: Etcd.encode(key), target: "VALUE", value: value.base64EncodedString())
        }
    }

    struct RequestOp: Encodable {
        var requestPut: PutRequest?
        var requestDeleteRange: DeleteRangeRequest?
        var requestRange: RangeRequest?

        enum CodingKeys: String, CodingKey {
            case requestPut = "request_put"
            case requestDeleteRange = "request_delete_range"
            case requestRange = "request_range"
        }

        static func put(_ key: String, _ value: Data, lease: Int64? = nil, previous: Bool = false) -> RequestOp {
            RequestOp(
                requestPut: PutRequest(
                    key: Etcd.encode(key), value: value.base64EncodedString(), lease: lease.map(String.init), prevKv: previous ? true : nil))
        }

        static func delete(_ key: String) -> RequestOp {
            RequestOp(requestDeleteRange: DeleteRangeRequest(key: Etcd.encode(key)))
        }
    }

    struct TxnRequest: Encodable {
        var compare: [Compare]
        var success: [RequestOp]
        var failure: [RequestOp] = []
    }

    struct TxnResponse: Decodable {
        var header: Header?
        var succeeded: Bool?
        var responses: [ResponseOp]?
    }

    struct LeaseGrantRequest: Encodable {
        var TTL: String
    }

    struct LeaseGrantResponse: Decodable {
        var ID: String?
        var TTL: String?
        var error: String?
    }

    struct LeaseRequest: Encodable {
        var ID: String
    }

    /// `/v3/lease/keepalive` answers like a stream, one object with a `result`.
    struct LeaseKeepAliveResponse: Decodable {
        struct Result: Decodable {
            var ID: String?
            var TTL: String?
        }

        var result: Result?
    }

    struct WatchRequest: Encodable {
        struct Create: Encodable {
            var key: String
            var rangeEnd: String
            var startRevision: String?

            enum CodingKeys: String, CodingKey {
                case key
                case rangeEnd = "range_end"
                case startRevision = "start_revision"
            }
        }

        var createRequest: Create

        enum CodingKeys: String, CodingKey {
            case createRequest = "create_request"
        }
    }

    struct WatchResponse: Decodable {
        struct Result: Decodable {
            var header: Header?
            var events: [Event]?
            var created: Bool?
            var canceled: Bool?
            var compactRevision: String?

            enum CodingKeys: String, CodingKey {
                case header, events, created, canceled
                case compactRevision = "compact_revision"
            }
        }

        struct Event: Decodable {
            var type: String?
            var kv: KeyValue?
        }

        var result: Result?
    }

    static func encode(_ text: String) -> String {
        Data(text.utf8).base64EncodedString()
    }

    static func decode(_ base64: String) -> String? {
        Data(base64Encoded: base64).map { String(decoding: $0, as: UTF8.self) }
    }

    /// The end of the range of every key that starts with `prefix` (its last byte plus one).
    static func rangeEnd(ofPrefix prefix: String) -> String {
        var bytes = Array(prefix.utf8)
        bytes[bytes.count - 1] += 1
        return Data(bytes).base64EncodedString()
    }
}
