import CoreMetrics
import GatewayCore
import NIOConcurrencyHelpers
import Prometheus

/// The metrics of the README's "Admin listener" that change off the request path (reloads, the
/// flag and store gauges, log drops), on a registry of this gateway's own (so several gateways in
/// one test process never mix counts). The request path's own families are counted per worker
/// (`WorkerStats`) and appended when rendered.
private typealias MetricCounter = CoreMetrics.Counter
typealias MetricGauge = CoreMetrics.Gauge

final class GatewayMetrics: Sendable {
    let registry: PrometheusCollectorRegistry
    private let factory: PrometheusMetricsFactory
    /// Label combinations seen so far; keys are plain values, so a lookup builds no strings.
    private struct SeriesKey: Hashable {
        var name: StaticString
        var first: String
        var second: String
        var code: Int

        static func == (lhs: SeriesKey, rhs: SeriesKey) -> Bool {
            lhs.name.utf8Start == rhs.name.utf8Start && lhs.first == rhs.first && lhs.second == rhs.second && lhs.code == rhs.code
        }

        func hash(into hasher: inout Hasher) {
            hasher.combine(UInt(bitPattern: name.utf8Start))
            hasher.combine(first)
            hasher.combine(second)
            hasher.combine(code)
        }
    }

    private let counters = NIOLockedValueBox([SeriesKey: MetricCounter]())
    private let gauges = NIOLockedValueBox([SeriesKey: MetricGauge]())
    private let loadedConfig = NIOLockedValueBox<String?>(nil)

    let flagPercent: MetricGauge
    let flagEnabled: MetricGauge
    let rollbackLatched: MetricGauge
    let lastReloadTimestamp: MetricGauge
    /// 1 while the rollout state store answers (always 1 for `state_file`).
    let stateStoreUp: MetricGauge
    /// 1 on the replica that leads the ramp (always 1 for `state_file`).
    let rampLeader: MetricGauge
    /// Lines the process's log writers dropped (full queue, failed output), read at each scrape.
    private let accessLogDropped: Prometheus.Counter
    private let operationalLogDropped: Prometheus.Counter
    private let droppedSeen = NIOLockedValueBox((access: 0, operational: 0))

    init() {
        registry = PrometheusCollectorRegistry()
        let factory = PrometheusMetricsFactory(registry: registry)
        self.factory = factory
        flagPercent = MetricGauge(label: "gateway_flag_percent", factory: factory)
        flagEnabled = MetricGauge(label: "gateway_flag_enabled", factory: factory)
        rollbackLatched = MetricGauge(label: "gateway_rollback_latched", factory: factory)
        lastReloadTimestamp = MetricGauge(label: "gateway_config_last_reload_timestamp_seconds", factory: factory)
        stateStoreUp = MetricGauge(label: "gateway_state_store_up", factory: factory)
        rampLeader = MetricGauge(label: "gateway_ramp_leader", factory: factory)
        accessLogDropped = registry.makeCounter(
            descriptor: MetricNameDescriptor(
                namespace: "gateway", metricName: "access_log_dropped", unitName: "total",
                helpText: "Access-log lines dropped because stdout was full, slow or broken."
            ))
        operationalLogDropped = registry.makeCounter(
            descriptor: MetricNameDescriptor(
                namespace: "gateway", metricName: "log_dropped", unitName: "total",
                helpText: "Operational log lines dropped because stderr was full, slow or broken."
            ))
        // Series that alerts watch with increase() exist from the start, at zero.
        counter(SeriesKey(name: "gateway_config_reloads_total", first: "rejected", second: "", code: 0)) { [("result", "rejected")] }.increment(by: 0)
        for result in ["sent", "failed", "dropped"] {
            counter(SeriesKey(name: "gateway_notifications_total", first: result, second: "", code: 0)) { [("result", result)] }.increment(by: 0)
        }
    }

    /// A webhook notification sent, failed after its retries, or dropped (queue full).
    func notification(result: String, count: Int) {
        counter(SeriesKey(name: "gateway_notifications_total", first: result, second: "", code: 0)) { [("result", result)] }.increment(by: count)
    }

    /// Counts a reload (`ok` or `rejected`); a successful one also sets the reload timestamp.
    func reloaded(ok: Bool, at time: Double) {
        let result = ok ? "ok" : "rejected"
        counter(SeriesKey(name: "gateway_config_reloads_total", first: result, second: "", code: 0)) { [("result", result)] }.increment()
        if ok { lastReloadTimestamp.record(time) }
    }

    func publishFlag(effectivePercent: Int, enabled: Bool, latched: Bool) {
        flagPercent.record(effectivePercent)
        flagEnabled.set(enabled)
        rollbackLatched.set(latched)
    }

    /// `gateway_config_info{sha256}`: 1 for the config in force, 0 for the ones before it, so a
    /// fleet shows how many distinct configs its replicas run.
    func configLoaded(sha256: String) {
        let previous = loadedConfig.withLockedValue { current -> String? in
            defer { current = sha256 }
            return current
        }
        if let previous, previous != sha256 { configInfo(previous).record(0) }
        configInfo(sha256).record(1)
    }

    private func configInfo(_ sha256: String) -> MetricGauge {
        Self.cached(SeriesKey(name: "gateway_config_info", first: sha256, second: "", code: 0), in: gauges) {
            MetricGauge(label: "gateway_config_info", dimensions: [("sha256", sha256)], factory: factory)
        }
    }

    func publishStore(up: Bool, leader: Bool) {
        stateStoreUp.set(up)
        rampLeader.set(leader)
    }

    /// Prometheus text exposition format: these metrics, then the request-path families the
    /// workers count (`TrafficRecorder`).
    func render(appending requestMetrics: (inout [UInt8]) -> Void) -> [UInt8] {
        let access = LineWriter.standardOutput.droppedLines
        let operational = LineWriter.standardError.droppedLines
        let (newAccess, newOperational) = droppedSeen.withLockedValue { seen in
            defer { seen = (access, operational) }
            return (access - seen.access, operational - seen.operational)
        }
        if newAccess > 0 { accessLogDropped.increment(by: Int64(newAccess)) }
        if newOperational > 0 { operationalLogDropped.increment(by: Int64(newOperational)) }
        var buffer: [UInt8] = []
        buffer.reserveCapacity(8192)
        registry.emit(into: &buffer)
        requestMetrics(&buffer)
        return buffer
    }

    private func counter(_ key: SeriesKey, labels: () -> [(String, String)]) -> MetricCounter {
        Self.cached(key, in: counters) { MetricCounter(label: key.name.description, dimensions: labels(), factory: factory) }
    }

    /// The metric of a series, created the first time the series is seen.
    private static func cached<Metric>(_ key: SeriesKey, in cache: NIOLockedValueBox<[SeriesKey: Metric]>, make: () -> Metric) -> Metric {
        cache.withLockedValue { metrics in
            if let metric = metrics[key] { return metric }
            let metric = make()
            metrics[key] = metric
            return metric
        }
    }
}

extension MetricGauge {
    func set(_ value: Bool) { record(value ? 1 : 0) }
}
