import GatewayCore
import NIOConcurrencyHelpers
import Prometheus

/// The metrics of the README's "Admin listener" that change off the request path (reloads, the
/// flag and store gauges, notifications, log drops, build info), on a registry of this gateway's
/// own (so several gateways in one test process never mix counts), each with its `# HELP`. The
/// request path's own families are counted per worker (`WorkerStats`) and the process's
/// (`ProcessMetricsText`) are read at each scrape; both are appended when rendered.
///
/// Every series an alert watches exists from the start (counters at zero), so `increase()` and
/// `absent()` mean what they say on a fresh process.
final class GatewayMetrics: Sendable {
    let registry = PrometheusCollectorRegistry()
    let flagPercent: Gauge
    let flagEnabled: Gauge
    let rollbackLatched: Gauge
    let lastReloadTimestamp: Gauge
    /// 1 while the rollout state store answers (always 1 for `state_file`).
    let stateStoreUp: Gauge
    /// 1 on the replica that leads the ramp (always 1 for `state_file`).
    let rampLeader: Gauge
    private let reloads: [String: Counter]
    private let notifications: [String: Counter]
    /// Lines the process's log writers dropped (full queue, failed output), read at each scrape.
    private let accessLogDropped: Counter
    private let operationalLogDropped: Counter
    private let droppedSeen = NIOLockedValueBox((access: 0, operational: 0))
    private let configInfos = NIOLockedValueBox((current: String?.none, gauges: [String: Gauge]()))

    static let configInfoHelp = "1 for the config in force (by its SHA-256), 0 for the ones it replaced."

    init() {
        flagPercent = registry.makeGauge(
            descriptor: Self.name("gateway_flag_percent", "The percent of shoppers new is in effect for (0 while killed or rolled back)."))
        flagEnabled = registry.makeGauge(descriptor: Self.name("gateway_flag_enabled", "1 while flag.enabled is true in the config in force."))
        rollbackLatched = registry.makeGauge(
            descriptor: Self.name("gateway_rollback_latched", "1 while a guardrail rollback or an abort holds everyone on old."))
        lastReloadTimestamp = registry.makeGauge(
            descriptor: Self.name("gateway_config_last_reload_timestamp_seconds", "Unix time of the last successful config load."))
        stateStoreUp = registry.makeGauge(
            descriptor: Self.name("gateway_state_store_up", "1 while the rollout state store (state_file or etcd) answers."))
        rampLeader = registry.makeGauge(
            descriptor: Self.name("gateway_ramp_leader", "1 on the replica that leads the ramp and speaks for the fleet."))
        var reloads: [String: Counter] = [:]
        for result in ["ok", "rejected"] {
            reloads[result] = registry.makeCounter(
                descriptor: Self.name("gateway_config_reloads_total", "Config loads, by result; the first load counts as ok."),
                labels: [("result", result)])
        }
        self.reloads = reloads
        var notifications: [String: Counter] = [:]
        for result in ["sent", "failed", "dropped"] {
            notifications[result] = registry.makeCounter(
                descriptor: Self.name(
                    "gateway_notifications_total", "Webhook messages (notify): sent, failed after every retry, or dropped because too many waited."),
                labels: [("result", result)])
        }
        self.notifications = notifications
        accessLogDropped = registry.makeCounter(
            descriptor: Self.name("gateway_access_log_dropped_total", "Access-log lines dropped because stdout was full, slow or broken."))
        operationalLogDropped = registry.makeCounter(
            descriptor: Self.name("gateway_log_dropped_total", "Operational log lines dropped because stderr was full, slow or broken."))
        registry.makeGauge(
            descriptor: Self.name("gateway_build_info", "1, labelled with the gateway's version."), labels: [("version", GatewayVersion.current)]
        ).set(to: 1)
    }

    /// A family's full name and its `# HELP` text.
    private static func name(_ name: String, _ help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(metricName: name, unitName: "", helpText: help)
    }

    /// A webhook notification sent, failed after its retries, or dropped (queue full).
    func notification(result: String, count: Int) {
        notifications[result]?.increment(by: Int64(count))
    }

    /// Counts a reload (`ok` or `rejected`); a successful one also sets the reload timestamp.
    func reloaded(ok: Bool, at time: Double) {
        reloads[ok ? "ok" : "rejected"]?.increment()
        if ok { lastReloadTimestamp.set(to: time) }
    }

    func publishFlag(effectivePercent: Int, enabled: Bool, latched: Bool) {
        flagPercent.set(to: Double(effectivePercent))
        flagEnabled.set(to: enabled ? 1 : 0)
        rollbackLatched.set(to: latched ? 1 : 0)
    }

    /// `gateway_config_info{sha256}`: 1 for the config in force, 0 for the ones before it, so a
    /// fleet shows how many distinct configs its replicas run.
    func configLoaded(sha256: String) {
        let (previous, current) = configInfos.withLockedValue { state -> (Gauge?, Gauge) in
            let previous = state.current.flatMap { $0 == sha256 ? nil : state.gauges[$0] }
            let current =
                state.gauges[sha256]
                ?? registry.makeGauge(descriptor: Self.name("gateway_config_info", Self.configInfoHelp), labels: [("sha256", sha256)])
            state.gauges[sha256] = current
            state.current = sha256
            return (previous, current)
        }
        previous?.set(to: 0)
        current.set(to: 1)
    }

    func publishStore(up: Bool, leader: Bool) {
        stateStoreUp.set(to: up ? 1 : 0)
        rampLeader.set(to: leader ? 1 : 0)
    }

    /// Prometheus text exposition format: these metrics, the process's, then the request-path
    /// families the workers count (`TrafficRecorder`).
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
        ProcessMetricsText.render(into: &buffer)
        requestMetrics(&buffer)
        return buffer
    }
}
