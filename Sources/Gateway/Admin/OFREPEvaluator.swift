import Foundation
import GatewayCore

/// OpenFeature Remote Evaluation Protocol, read-only: single and bulk evaluation of the
/// gateway's one flag, decided by the same evaluator as the proxy. `targetingKey` is the
/// identity; other context attributes stand in for request headers of targeting rules.
enum OFREPEvaluator {
    struct Answer {
        var status: Int
        var json: [String: Any]
    }

    static let singlePrefix = "/ofrep/v1/evaluate/flags/"
    static let bulkPath = "/ofrep/v1/evaluate/flags"

    static func isOFREP(path: Substring) -> Bool {
        path == bulkPath || path.hasPrefix(singlePrefix)
    }

    /// Answers `POST /ofrep/v1/evaluate/flags/{key}`.
    static func evaluate(key: String, body: [UInt8], snapshot: GatewayRuntime.Snapshot) -> Answer {
        let context: [String: Any]
        switch parseContext(body) {
        case .failure(let error): return error.answer(key: key)
        case .success(let parsed): context = parsed
        }
        guard key == snapshot.active.config.flag.key else {
            return Answer(status: 404, json: ["key": key, "errorCode": "FLAG_NOT_FOUND", "errorDetails": "no flag named '\(key)'"])
        }
        switch identity(in: context) {
        case .failure(let error): return error.answer(key: key)
        case .success(let identity): return Answer(status: 200, json: success(key: key, identity: identity, context: context, snapshot: snapshot))
        }
    }

    /// Answers `POST /ofrep/v1/evaluate/flags`: every flag (the gateway has one) for a context.
    static func evaluateAll(body: [UInt8], snapshot: GatewayRuntime.Snapshot) -> Answer {
        let context: [String: Any]
        switch parseContext(body) {
        case .failure(let error): return error.answer(key: nil)
        case .success(let parsed): context = parsed
        }
        switch identity(in: context) {
        case .failure(let error):
            return error.answer(key: nil)
        case .success(let identity):
            let key = snapshot.active.config.flag.key
            return Answer(status: 200, json: ["flags": [success(key: key, identity: identity, context: context, snapshot: snapshot)]])
        }
    }

    /// The context's `targetingKey`, the identity the flag decides for.
    private static func identity(in context: [String: Any]) -> Result<String, ParseFailure> {
        guard let targetingKey = context["targetingKey"] else {
            return .failure(ParseFailure(code: "TARGETING_KEY_MISSING", details: "context.targetingKey is required"))
        }
        guard let identity = targetingKey as? String, !identity.isEmpty else {
            return .failure(ParseFailure(code: "INVALID_CONTEXT", details: "context.targetingKey must be a non-empty string"))
        }
        return .success(identity)
    }

    private static func success(key: String, identity: String, context: [String: Any], snapshot: GatewayRuntime.Snapshot) -> [String: Any] {
        let decision = snapshot.active.evaluator.decide(identity: identity, request: ContextAttributes(context: context), state: snapshot.flagState)
        return [
            "key": key,
            "value": decision.variant == .new,
            "variant": decision.variant.rawValue,
            "reason": decision.ofrepReason(percent: snapshot.flagState.effectivePercent),
            "metadata": ["gatewayReason": decision.reason.rawValue, "bucket": decision.bucket, "percent": snapshot.flagState.effectivePercent],
        ]
    }

    private struct ParseFailure: Error {
        var code: String
        var details: String

        /// A 400 with the protocol's error fields; `key` for the single-flag form.
        func answer(key: String?) -> Answer {
            var json: [String: Any] = ["errorCode": code, "errorDetails": details]
            if let key { json["key"] = key }
            return Answer(status: 400, json: json)
        }
    }

    private static func parseContext(_ body: [UInt8]) -> Result<[String: Any], ParseFailure> {
        guard let object = try? JSONSerialization.jsonObject(with: Data(body)), let request = object as? [String: Any] else {
            return .failure(ParseFailure(code: "PARSE_ERROR", details: "the body must be a JSON object"))
        }
        guard let rawContext = request["context"] else {
            return .failure(ParseFailure(code: "TARGETING_KEY_MISSING", details: "context.targetingKey is required"))
        }
        guard let context = rawContext as? [String: Any] else {
            return .failure(ParseFailure(code: "INVALID_CONTEXT", details: "context must be a JSON object"))
        }
        return .success(context)
    }

}

/// JSON bodies of the admin listener's answers.
enum AdminJSON {
    static func encode(_ json: [String: Any]) -> [UInt8] {
        let data = (try? JSONSerialization.data(withJSONObject: json, options: [.sortedKeys])) ?? Data("{}".utf8)
        return Array(data)
    }
}

/// Evaluation-context attributes as the flag decision's request attributes: a targeting rule on
/// header `X-Cohort` matches context attribute `X-Cohort` (names compared case-insensitively).
struct ContextAttributes: RequestAttributes {
    var context: [String: Any]

    func header(_ name: String) -> String? {
        let lower = name.lowercased()
        guard let value = context.first(where: { $0.key.lowercased() == lower })?.value else { return nil }
        switch value {
        case let text as String: return text
        case let number as NSNumber: return number.stringValue
        default: return nil
        }
    }

    func cookie(_ name: String) -> Substring? { nil }
}
