import Foundation
import GatewayCore
import NIOConcurrencyHelpers

/// Asks Prometheus the `guardrails.prometheus` queries every `interval`, from a thread of its
/// own (a slow Prometheus never delays the ramp's evaluation or a request), while this replica
/// speaks for the fleet; the ramp judges the latest answers (`PrometheusJudge`).
///
/// The thread starts with the first config that has checks and ends when its runtime is gone.
final class PrometheusPoller: Sendable {
    private let results = NIOLockedValueBox<[String: PrometheusJudge.Result]>([:])
    private let started = NIOLockedValueBox(false)

    func latest() -> [String: PrometheusJudge.Result] {
        results.withLockedValue { $0 }
    }

    /// Starts the polling thread for `runtime` if it is not running yet.
    func start(for runtime: GatewayRuntime) {
        let first = started.withLockedValue { started -> Bool in
            defer { started = true }
            return !started
        }
        guard first else { return }
        let thread = Thread { [weak runtime, self] in
            while true {
                // The runtime is held only during a round, never while sleeping.
                let pause: TimeInterval? = runtime.map { poll($0) }
                guard let pause else { return }
                Thread.sleep(forTimeInterval: pause)
            }
        }
        thread.name = "prometheus-checks"
        thread.start()
    }

    /// One round; returns how long to wait before the next.
    private func poll(_ runtime: GatewayRuntime) -> TimeInterval {
        guard let section = runtime.snapshot().active.config.guardrails?.prometheus, runtime.speaksForFleet else { return 1 }
        for check in section.checks {
            let answer = Self.query(check.query, at: section.url, timeout: section.timeout)
            results.withLockedValue { $0[check.name] = PrometheusJudge.Result(answer: answer, at: Date()) }
        }
        return section.interval.seconds
    }

    /// `GET /api/v1/query`: the sample values of an instant vector, or a scalar's one value.
    static func query(_ promQL: String, at base: String, timeout: Duration) -> PrometheusJudge.Answer {
        var allowed = CharacterSet.urlQueryAllowed
        allowed.remove(charactersIn: "&+=#")
        let encoded = promQL.addingPercentEncoding(withAllowedCharacters: allowed) ?? promQL
        let response: SimpleHTTPClient.Response
        do {
            response = try SimpleHTTPClient.request(method: "GET", url: "\(base)/api/v1/query?query=\(encoded)", timeout: timeout)
        } catch {
            return .failed("cannot reach \(base): \(error)")
        }
        guard let decoded = try? JSONDecoder().decode(PrometheusQueryResponse.self, from: response.body) else {
            return .failed("\(base) answered \(response.status) with no query result")
        }
        guard decoded.status == "success", let data = decoded.data else {
            return .failed("\(base): \(decoded.error ?? "status \(decoded.status)")")
        }
        return .values(data.values)
    }
}

/// The body of Prometheus's `/api/v1/query` answer, as far as the checks read it.
struct PrometheusQueryResponse: Decodable {
    struct QueryData: Decodable {
        var resultType: String
        var result: JSONValue

        /// Vector: `[{"metric": {...}, "value": [time, "1.5"]}, ...]`; scalar: `[time, "1.5"]`.
        var values: [Double] {
            func sample(_ pair: JSONValue) -> Double? {
                guard case .array(let items) = pair, items.count == 2, case .string(let text) = items[1] else { return nil }
                return Double(text)
            }
            switch (resultType, result) {
            case ("vector", .array(let series)):
                return series.compactMap { item in
                    guard case .object(let fields) = item, let value = fields["value"] else { return nil }
                    return sample(value)
                }
            case ("scalar", let pair):
                return sample(pair).map { [$0] } ?? []
            default:
                return []
            }
        }
    }

    var status: String
    var error: String?
    var data: QueryData?
}
