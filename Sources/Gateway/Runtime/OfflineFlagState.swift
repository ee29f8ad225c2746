import Foundation
import GatewayCore

/// The flag state a running gateway with this config would have now, read from its
/// `state_file` (kill switch, rollback latch, schedule position) without a running gateway:
/// what `checkout-gateway explain` decides with.
public enum OfflineFlagState {
    public static func load(config: GatewayConfig, now: Date = Date()) -> FlagState {
        var persisted = PersistedState()
        let store: any RolloutStateStore =
            config.etcd.map { EtcdStateStore(config: $0, flagKey: config.flag.key, environment: ProcessInfo.processInfo.environment) }
            ?? FileStateStore(path: config.stateFile)
        switch store.read() {
        case .fresh: break
        case .state(let state, _): persisted = state
        // The gateway starts killed on such a file, and old for everyone while etcd cannot be
        // read, so explain decides the same way.
        case .unreadable, .unreachable: persisted.killed = true
        }
        let empty = SlidingWindow.Summary(requests: 0, errors: 0, p50Ms: nil, p99Ms: nil)
        let decision = RampController.evaluate(
            RampController.Input(
                schedule: config.schedule, guardrails: config.guardrails, configuredPercent: config.flag.percent,
                progress: persisted.schedule, latched: persisted.latched, windows: WindowPair(old: empty, new: empty), now: now
            ))
        return FlagState(killed: persisted.killed, latched: persisted.latched, effectivePercent: decision.effectivePercent)
    }
}
