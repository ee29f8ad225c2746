import Foundation
import GatewayCore

/// OpenFeature Remote Evaluation Protocol, read-only: single and bulk evaluation of the
/// gateway's one flag, decided by the same evaluator as the proxy. `targetingKey` is the
/// identity; other context attributes stand in for request headers of targeting rules.
enum OFREPEvaluator {
    static let singlePrefix = "/ofrep/v1/evaluate/flags/"
    static let bulkPath = "/ofrep/v1/evaluate/flags"

    static func isOFREP(path: Substring) -> Bool {
        path == bulkPath || path.hasPrefix(singlePrefix)
    }

    /// Answers `POST /ofrep/v1/evaluate/flags/{key}`.
    static func evaluate(key: String, body: [UInt8], snapshot: GatewayRuntime.Snapshot) -> Result<OFREPEvaluation, OFREPFailure> {
        context(in: body).flatMap { context in
            guard key == snapshot.active.config.flag.key else {
                return .failure(OFREPFailure(errorCode: "FLAG_NOT_FOUND", errorDetails: "no flag named '\(key)'", status: 404))
            }
            return identity(in: context).map { evaluation(key: key, identity: $0, context: context, snapshot: snapshot) }
        }
        .mapError { failure in
            var failure = failure
            failure.key = key
            return failure
        }
    }

    /// Answers `POST /ofrep/v1/evaluate/flags`: every flag (the gateway has one) for a context.
    static func evaluateAll(body: [UInt8], snapshot: GatewayRuntime.Snapshot) -> Result<OFREPBulkEvaluation, OFREPFailure> {
        context(in: body).flatMap { context in
            identity(in: context).map { identity in
                OFREPBulkEvaluation(flags: [
                    evaluation(key: snapshot.active.config.flag.key, identity: identity, context: context, snapshot: snapshot)
                ])
            }
        }
    }

    /// The request's `context` object.
    private static func context(in body: [UInt8]) -> Result<[String: JSONValue], OFREPFailure> {
        guard let request = try? JSONDecoder().decode(OFREPRequest.self, from: Data(body)) else {
            return .failure(OFREPFailure(errorCode: "PARSE_ERROR", errorDetails: "the body must be a JSON object"))
        }
        switch request.context {
        case nil, .null?: return .failure(.targetingKeyMissing)
        case .object(let context)?: return .success(context)
        default: return .failure(OFREPFailure(errorCode: "INVALID_CONTEXT", errorDetails: "context must be a JSON object"))
        }
    }

    /// The context's `targetingKey`, the identity the flag decides for.
    private static func identity(in context: [String: JSONValue]) -> Result<String, OFREPFailure> {
        switch context["targetingKey"] {
        case nil: return .failure(.targetingKeyMissing)
        case .string(let identity)? where !identity.isEmpty: return .success(identity)
        default: return .failure(OFREPFailure(errorCode: "INVALID_CONTEXT", errorDetails: "context.targetingKey must be a non-empty string"))
        }
    }

    private static func evaluation(key: String, identity: String, context: [String: JSONValue], snapshot: GatewayRuntime.Snapshot) -> OFREPEvaluation
    {
        let percent = snapshot.flagState.effectivePercent
        let decision = snapshot.active.evaluator.decide(identity: identity, request: ContextAttributes(context: context), state: snapshot.flagState)
        return OFREPEvaluation(
            key: key, value: decision.variant == .new, variant: decision.variant.rawValue, reason: decision.ofrepReason(percent: percent),
            metadata: .init(gatewayReason: decision.reason.rawValue, bucket: decision.bucket, percent: percent)
        )
    }
}

/// Evaluation-context attributes as the flag decision's request attributes: a targeting rule on
/// header `X-Cohort` matches context attribute `X-Cohort` (names compared case-insensitively).
struct ContextAttributes: RequestAttributes {
    var context: [String: JSONValue]

    func header(_ name: String) -> String? {
        let lower = name.lowercased()
        return context.first(where: { $0.key.lowercased() == lower })?.value.scalarText
    }

    func cookie(_ name: String) -> Substring? { nil }
}
