import Foundation

/// The one JSON style of the admin listener's answers (and OFREP's): Codable values, keys
/// sorted so equal answers are equal bytes (OFREP's ETag hashes them), dates as ISO 8601.
enum AdminJSON {
    static func encode(_ value: some Encodable) -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        encoder.dateEncodingStrategy = .iso8601
        return Array((try? encoder.encode(value)) ?? Data("{}".utf8))
    }
}

/// `{"error": "…"}` and, for a rejected reload, the config's errors (`file:line:col: …`, one per line).
struct AdminError: Encodable {
    var error: String
    var errors: String?
}

/// `POST /admin/smoke`'s body, as `checkout-gateway smoke --report` sends it.
public struct SmokeReport: Codable, Sendable {
    public var passed: Bool
    public var summary: String?

    public init(passed: Bool, summary: String?) {
        self.passed = passed
        self.summary = summary
    }
}
