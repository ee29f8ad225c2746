import GatewayCore
import NIOConcurrencyHelpers

/// Where every request and every upstream attempt is counted, read from: each worker writes
/// its own `WorkerStats` without a lock, and the readers here (`/metrics`, `/status`, the ramp)
/// add the workers up. The other metrics (reloads, flag and store gauges) live in `metrics`.
final class TrafficRecorder: Sendable {
    let metrics: GatewayMetrics
    let window: WindowSettings
    /// Every worker's counters; appended when a worker starts, read by the readers only.
    private let workers = NIOLockedValueBox<[WorkerStats]>([])

    init(metrics: GatewayMetrics, window: Duration) {
        self.metrics = metrics
        self.window = WindowSettings(length: window)
    }

    /// The counters of a new worker, registered so that readers include them.
    func makeWorkerStats() -> WorkerStats {
        let stats = WorkerStats(window: window)
        workers.withLockedValue { $0.append(stats) }
        return stats
    }

    /// Starts afresh when the configured window length changes.
    func resize(window length: Duration) {
        guard max(60, length.milliseconds) != max(60, window.lengthDuration.milliseconds) else { return }
        window.reset(length: length)
    }

    /// Empties both windows (after a resume, judgement starts from new traffic).
    func resetWindows() {
        window.reset()
    }

    /// Both windows as counts that add up across replicas.
    func counts(at now: UInt64 = MonotonicClock.now()) -> [Variant: WindowCounts] {
        let all = workers.withLockedValue { $0 }
        var result: [Variant: WindowCounts] = [:]
        for variant in [Variant.old, .new] {
            var total = WindowCounts()
            total.latencyCounts = [UInt32](repeating: 0, count: WorkerStats.Layout.latencyBuckets)
            for stats in all { stats.addWindow(variant, at: now, into: &total) }
            result[variant] = total
        }
        return result
    }

    /// Both windows slot by slot (oldest first), every worker added up, and a slot's length.
    func slots(at now: UInt64 = MonotonicClock.now()) -> (slotSeconds: Double, slots: [Variant: [WindowCounts]]) {
        let all = workers.withLockedValue { $0 }
        var result: [Variant: [WindowCounts]] = [:]
        for variant in [Variant.old, .new] {
            var slots: [WindowCounts] = []
            for stats in all { stats.addSlots(variant, at: now, into: &slots) }
            if slots.isEmpty { slots = [WindowCounts](repeating: WindowCounts(), count: SlidingWindow.slotCount) }
            result[variant] = slots
        }
        return (Double(window.current.length) / 1e9 / Double(SlidingWindow.slotCount), result)
    }

    /// Fallbacks to old since start, by cause (every worker added up).
    func fallbackTotals() -> [String: Int] {
        let blocks = workers.withLockedValue { $0.map(\.block) }
        var totals: [String: Int] = [:]
        for (index, cause) in WorkerStats.Layout.fallbackCauses.enumerated() {
            totals[cause] = blocks.reduce(0) { $0 + $1.load(WorkerStats.Layout.fallbacks + index) }
        }
        return totals
    }

    func summaries(at now: UInt64 = MonotonicClock.now()) -> [Variant: SlidingWindow.Summary] {
        counts(at: now).mapValues(\.summary)
    }

    /// The request-path families in Prometheus text format, every worker added up.
    func renderRequestMetrics(openConnections: Int, into output: inout [UInt8]) {
        let blocks = workers.withLockedValue { $0.map(\.block) }
        RequestMetricsText(blocks: blocks).render(openConnections: openConnections, into: &output)
    }
}

extension GatewayRuntime {
    /// `/metrics`: the registry's metrics and every worker's request counters.
    func renderMetrics() -> [UInt8] {
        recorder.metrics.render { output in
            recorder.renderRequestMetrics(openConnections: connections.current, into: &output)
        }
    }
}
