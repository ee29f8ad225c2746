import Foundation

/// Judges `guardrails.prometheus` checks from the latest answers (pure). An unanswered, failed,
/// stale or empty query is no verdict — never a go — so a Prometheus that is down holds the ramp;
/// a breach of any check is a breach even when another check has no answer.
public enum PrometheusJudge {
    public enum Answer: Sendable, Equatable {
        /// The query's sample values (a scalar is one).
        case values([Double])
        /// Prometheus could not be asked or answered an error.
        case failed(String)
    }

    public struct Result: Sendable, Equatable {
        public var answer: Answer
        public var at: Date

        public init(answer: Answer, at: Date) {
            self.answer = answer
            self.at = at
        }
    }

    public enum Verdict: Sendable, Equatable {
        case go
        case noVerdict(String)
        case breach(String)

        /// As the ramp sees it.
        public var guardrailVerdict: GuardrailVerdict {
            switch self {
            case .go: .go
            case .noVerdict: .noVerdict
            case .breach(let reason): .breach(reason)
            }
        }
    }

    public static func verdict(_ section: PrometheusChecks, results: [String: Result], now: Date) -> Verdict {
        var missing: [String] = []
        for check in section.checks {
            guard let result = results[check.name], now.timeIntervalSince(result.at) <= 3 * section.interval.seconds else {
                missing.append("'\(check.name)': no recent answer from \(section.url)")
                continue
            }
            switch result.answer {
            case .failed(let error):
                missing.append("'\(check.name)': \(error)")
            case .values(let values) where values.isEmpty:
                missing.append("'\(check.name)': the query returned no data")
            case .values(let values):
                switch check.limit {
                case .max(let limit):
                    let highest = values.max()!
                    if highest > limit { return .breach("prometheus check '\(check.name)' \(format(highest)) > \(format(limit))") }
                case .min(let limit):
                    let lowest = values.min()!
                    if lowest < limit { return .breach("prometheus check '\(check.name)' \(format(lowest)) < \(format(limit))") }
                }
            }
        }
        if !missing.isEmpty { return .noVerdict("prometheus check " + missing.joined(separator: "; ")) }
        return .go
    }

    /// The built-in verdict and the checks' together: a breach of either, else no verdict of
    /// either, else go.
    public static func combine(_ builtIn: GuardrailVerdict, _ checks: Verdict?) -> GuardrailVerdict {
        guard let checks else { return builtIn }
        if case .breach = builtIn { return builtIn }
        if case .breach(let reason) = checks { return .breach(reason) }
        if builtIn == .noVerdict { return .noVerdict }
        return checks.guardrailVerdict
    }

    static func format(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int(value)) : String(value)
    }
}
