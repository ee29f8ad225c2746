import GatewayCore
import NIOConcurrencyHelpers
import NIOCore

/// Where every request and every upstream attempt is counted: Prometheus metrics and the
/// per-upstream sliding windows that `/status` shows and the guardrails judge.
final class TrafficRecorder: Sendable {
    let metrics: GatewayMetrics
    /// The configured window length and a window per upstream.
    private let windows: NIOLockedValueBox<(length: Duration, byUpstream: [Variant: SlidingWindow])>

    init(metrics: GatewayMetrics, window: Duration) {
        self.metrics = metrics
        self.windows = NIOLockedValueBox((window, Self.emptyWindows(window)))
    }

    private static func emptyWindows(_ length: Duration) -> [Variant: SlidingWindow] {
        [.old: SlidingWindow(window: length), .new: SlidingWindow(window: length)]
    }

    /// Starts afresh when the configured window length changes.
    func resize(window: Duration) {
        windows.withLockedValue { windows in
            guard windows.length != window else { return }
            windows = (window, Self.emptyWindows(window))
        }
    }

    /// One attempt on an upstream; `resends` are the times libcurl sent it again by itself over a
    /// fresh connection after a reused one died, each an extra request the upstream received.
    func attempt(_ upstream: Variant, outcome: AttemptOutcome, resends: Int = 0, started: NIODeadline, ended: NIODeadline) {
        if resends > 0 { metrics.upstreamResent(upstream, count: resends) }
        let elapsed = ended - started
        metrics.upstream(upstream, result: outcome.resultLabel, nanoseconds: elapsed.nanoseconds)
        windows.withLockedValue {
            $0.byUpstream[upstream]!.record(
                at: ended.uptimeNanoseconds, latencyMs: Double(elapsed.nanoseconds) / 1_000_000, isError: outcome.isFailure
            )
        }
    }

    func conversion(_ variant: Variant, stage: SlidingWindow.ConversionStage, at now: NIODeadline = .now()) {
        metrics.conversion(variant: variant, stage: stage.rawValue)
        windows.withLockedValue { $0.byUpstream[variant]!.recordConversion(at: now.uptimeNanoseconds, stage: stage) }
    }

    /// Empties both windows (after a resume, judgement starts from new traffic).
    func resetWindows() {
        windows.withLockedValue { windows in
            windows.byUpstream = Self.emptyWindows(windows.length)
        }
    }

    /// Both windows as counts that add up across replicas.
    func counts(at now: NIODeadline = .now()) -> [Variant: WindowCounts] {
        windows.withLockedValue { windows in
            windows.byUpstream.mapValues { $0.counts(at: now.uptimeNanoseconds) }
        }
    }

    func summaries(at now: NIODeadline = .now()) -> [Variant: SlidingWindow.Summary] {
        windows.withLockedValue { windows in
            windows.byUpstream.mapValues { $0.summary(at: now.uptimeNanoseconds) }
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
