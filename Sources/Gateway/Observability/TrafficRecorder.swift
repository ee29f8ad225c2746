import GatewayCore
import NIOConcurrencyHelpers
import NIOCore

/// Where every request and every upstream attempt is counted: Prometheus metrics and the
/// per-upstream sliding windows that `/status` shows and the guardrails judge.
final class TrafficRecorder: Sendable {
    let metrics: GatewayMetrics
    private let windows: NIOLockedValueBox<[Variant: SlidingWindow]>

    init(metrics: GatewayMetrics, window: Duration) {
        self.metrics = metrics
        self.windows = NIOLockedValueBox([.old: SlidingWindow(window: window), .new: SlidingWindow(window: window)])
    }

    /// Starts afresh when the configured window length changes.
    func resize(window: Duration) {
        windows.withLockedValue { windows in
            guard windows[.old]?.windowNanoseconds != UInt64(max(window.milliseconds, 60)) * 1_000_000 else { return }
            windows = [.old: SlidingWindow(window: window), .new: SlidingWindow(window: window)]
        }
    }

    func attempt(_ upstream: Variant, outcome: AttemptOutcome, started: NIODeadline, ended: NIODeadline) {
        let elapsed = ended - started
        metrics.upstream(upstream, result: outcome.resultLabel, nanoseconds: elapsed.nanoseconds)
        let isError: Bool
        switch outcome {
        case .status(let code): isError = code >= 500
        case .timeout, .connectError, .badResponse: isError = true
        }
        windows.withLockedValue {
            $0[upstream]!.record(at: ended.uptimeNanoseconds, latencyMs: Double(elapsed.nanoseconds) / 1_000_000, isError: isError)
        }
    }

    func conversion(_ variant: Variant, stage: SlidingWindow.ConversionStage, at now: NIODeadline = .now()) {
        metrics.conversion(variant: variant, stage: stage.rawValue)
        windows.withLockedValue { $0[variant]!.recordConversion(at: now.uptimeNanoseconds, stage: stage) }
    }

    /// Empties both windows (after a resume, judgement starts from new traffic).
    func resetWindows() {
        windows.withLockedValue { windows in
            windows = windows.mapValues { SlidingWindow(window: .nanoseconds(Int64($0.windowNanoseconds))) }
        }
    }

    func summaries(at now: NIODeadline = .now()) -> [Variant: SlidingWindow.Summary] {
        windows.withLockedValue { windows in
            windows.mapValues { $0.summary(at: now.uptimeNanoseconds) }
        }
    }
}

extension AttemptOutcome {
    /// The `result` label of `gateway_upstream_requests_total`.
    var resultLabel: String {
        switch self {
        case .status(let code): "\(code / 100)xx"
        case .timeout: "timeout"
        case .connectError: "connect_error"
        case .badResponse: "bad_response"
        }
    }
}
