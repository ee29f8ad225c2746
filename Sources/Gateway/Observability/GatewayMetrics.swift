import CoreMetrics
import GatewayCore
import NIOConcurrencyHelpers
import Prometheus

/// The metrics of DESIGN §6 under their exact names, on a registry of this gateway's own (so
/// several gateways in one test process never mix counts). Label combinations are created once
/// and cached; the request path only looks them up.
private typealias MetricCounter = CoreMetrics.Counter
typealias MetricGauge = CoreMetrics.Gauge
private typealias MetricTimer = CoreMetrics.Timer

final class GatewayMetrics: Sendable {
    let registry: PrometheusCollectorRegistry
    private let factory: PrometheusMetricsFactory
    private let counters = NIOLockedValueBox([String: MetricCounter]())
    private let timers = NIOLockedValueBox([String: MetricTimer]())

    let flagPercent: MetricGauge
    let flagEnabled: MetricGauge
    let rollbackLatched: MetricGauge
    let lastReloadTimestamp: MetricGauge
    let openConnections: MetricGauge

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
    }

    func request(variant: Variant, outcome: ForwardingResult.Outcome, code: Int, nanoseconds: Int64) {
        counter("gateway_requests_total", [("variant", variant.rawValue), ("outcome", outcome.rawValue), ("code", String(code))]).increment()
        timer("gateway_request_duration_seconds", [("variant", variant.rawValue)]).recordNanoseconds(nanoseconds)
    }

    func upstream(_ upstream: Variant, result: String, nanoseconds: Int64) {
        counter("gateway_upstream_requests_total", [("upstream", upstream.rawValue), ("result", result)]).increment()
        timer("gateway_upstream_duration_seconds", [("upstream", upstream.rawValue)]).recordNanoseconds(nanoseconds)
    }

    func fallback(cause: String) {
        counter("gateway_fallbacks_total", [("cause", cause)]).increment()
    }

    /// Counts a reload (`ok` or `rejected`); a successful one also sets the reload timestamp.
    func reloaded(ok: Bool, at time: Double) {
        counter("gateway_config_reloads_total", [("result", ok ? "ok" : "rejected")]).increment()
        if ok { lastReloadTimestamp.record(time) }
    }

    func publishFlag(effectivePercent: Int, enabled: Bool, latched: Bool) {
        flagPercent.record(effectivePercent)
        flagEnabled.set(enabled)
        rollbackLatched.set(latched)
    }

    func conversion(variant: Variant, stage: String) {
        counter("gateway_conversions_total", [("variant", variant.rawValue), ("stage", stage)]).increment()
    }

    func setOpenConnections(_ count: Int) {
        openConnections.record(count)
    }

    /// Prometheus text exposition format.
    func render() -> [UInt8] {
        var buffer: [UInt8] = []
        buffer.reserveCapacity(8192)
        registry.emit(into: &buffer)
        return buffer
    }

    private func counter(_ name: String, _ labels: [(String, String)]) -> MetricCounter {
        let key = name + labels.map { "|\($0.1)" }.joined()
        return counters.withLockedValue { cache in
            if let counter = cache[key] { return counter }
            let counter = MetricCounter(label: name, dimensions: labels, factory: factory)
            cache[key] = counter
            return counter
        }
    }

    private func timer(_ name: String, _ labels: [(String, String)]) -> MetricTimer {
        let key = name + labels.map { "|\($0.1)" }.joined()
        return timers.withLockedValue { cache in
            if let timer = cache[key] { return timer }
            let timer = MetricTimer(label: name, dimensions: labels, factory: factory)
            cache[key] = timer
            return timer
        }
    }
}

extension MetricGauge {
    func set(_ value: Bool) { record(value ? 1 : 0) }
}
