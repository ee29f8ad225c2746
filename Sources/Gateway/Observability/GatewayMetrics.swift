import CoreMetrics
import GatewayCore
import NIOConcurrencyHelpers
import Prometheus

/// The metrics of the README's "Admin listener" under their exact names, on a registry of this gateway's own (so
/// several gateways in one test process never mix counts). Label combinations are created once
/// and cached; the request path only looks them up.
private typealias MetricCounter = CoreMetrics.Counter
typealias MetricGauge = CoreMetrics.Gauge
private typealias MetricTimer = CoreMetrics.Timer

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
    private let timers = NIOLockedValueBox([SeriesKey: MetricTimer]())
    private let gauges = NIOLockedValueBox([SeriesKey: MetricGauge]())
    private let loadedConfig = NIOLockedValueBox<String?>(nil)

    let flagPercent: MetricGauge
    let flagEnabled: MetricGauge
    let rollbackLatched: MetricGauge
    let lastReloadTimestamp: MetricGauge
    let openConnections: MetricGauge
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
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.defaultDurationHistogramBuckets = [
            .milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50),
            .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1), .milliseconds(2500), .seconds(5), .seconds(10),
        ]
        self.factory = factory
        flagPercent = MetricGauge(label: "gateway_flag_percent", factory: factory)
        flagEnabled = MetricGauge(label: "gateway_flag_enabled", factory: factory)
        rollbackLatched = MetricGauge(label: "gateway_rollback_latched", factory: factory)
        lastReloadTimestamp = MetricGauge(label: "gateway_config_last_reload_timestamp_seconds", factory: factory)
        openConnections = MetricGauge(label: "gateway_open_connections", factory: factory)
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
        counter(SeriesKey(name: "gateway_refused_connections_total", first: "", second: "", code: 0)) { [] }.increment(by: 0)
        counter(SeriesKey(name: "gateway_config_reloads_total", first: "rejected", second: "", code: 0)) { [("result", "rejected")] }.increment(by: 0)
        for upstream in [Variant.old, .new] { upstreamResent(upstream, count: 0) }
    }

    func request(variant: Variant, outcome: ForwardingResult.Outcome, code: Int, nanoseconds: Int64) {
        counter(SeriesKey(name: "gateway_requests_total", first: variant.rawValue, second: outcome.rawValue, code: code)) {
            [("variant", variant.rawValue), ("outcome", outcome.rawValue), ("code", String(code))]
        }.increment()
        timer(SeriesKey(name: "gateway_request_duration_seconds", first: variant.rawValue, second: "", code: 0)) {
            [("variant", variant.rawValue)]
        }.recordNanoseconds(nanoseconds)
    }

    func upstream(_ upstream: Variant, result: String, nanoseconds: Int64) {
        counter(SeriesKey(name: "gateway_upstream_requests_total", first: upstream.rawValue, second: result, code: 0)) {
            [("upstream", upstream.rawValue), ("result", result)]
        }.increment()
        timer(SeriesKey(name: "gateway_upstream_duration_seconds", first: upstream.rawValue, second: "", code: 0)) {
            [("upstream", upstream.rawValue)]
        }.recordNanoseconds(nanoseconds)
    }

    /// Requests libcurl sent again by itself after a reused connection died: result `resent`.
    func upstreamResent(_ upstream: Variant, count: Int) {
        counter(SeriesKey(name: "gateway_upstream_requests_total", first: upstream.rawValue, second: "resent", code: 0)) {
            [("upstream", upstream.rawValue), ("result", "resent")]
        }.increment(by: Int64(count))
    }

    func fallback(cause: String) {
        counter(SeriesKey(name: "gateway_fallbacks_total", first: cause, second: "", code: 0)) { [("cause", cause)] }.increment()
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

    /// A request the gateway answered itself without forwarding (the README's "Bad input": 400, 408, 413, …).
    func rejected(code: Int) {
        counter(SeriesKey(name: "gateway_rejected_requests_total", first: "", second: "", code: code)) { [("code", String(code))] }.increment()
    }

    /// A client connection closed at once because `limits.max_connections` was reached.
    func connectionRefused() {
        counter(SeriesKey(name: "gateway_refused_connections_total", first: "", second: "", code: 0)) { [] }.increment()
    }

    func conversion(variant: Variant, stage: String) {
        counter(SeriesKey(name: "gateway_conversions_total", first: variant.rawValue, second: stage, code: 0)) {
            [("variant", variant.rawValue), ("stage", stage)]
        }.increment()
    }

    func setOpenConnections(_ count: Int) {
        openConnections.record(count)
    }

    /// Prometheus text exposition format.
    func render() -> [UInt8] {
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
        return buffer
    }

    private func counter(_ key: SeriesKey, labels: () -> [(String, String)]) -> MetricCounter {
        Self.cached(key, in: counters) { MetricCounter(label: key.name.description, dimensions: labels(), factory: factory) }
    }

    private func timer(_ key: SeriesKey, labels: () -> [(String, String)]) -> MetricTimer {
        Self.cached(key, in: timers) { MetricTimer(label: key.name.description, dimensions: labels(), factory: factory) }
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
