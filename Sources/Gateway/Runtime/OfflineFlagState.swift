import Foundation
import GatewayCore

/// The flag state a running gateway with this config would have now, read from its
/// `state_file` (kill switch, rollback latch, schedule position) without a running gateway:
/// what `checkout-gateway explain` decides with.
public enum OfflineFlagState {
    public static func load(config: GatewayConfig, now: Date = Date()) -> FlagState {
        var persisted = PersistedState()
        switch StateStore(path: config.stateFile).load() {
        case .fresh: break
        case .loaded(let state): persisted = state
        // The gateway starts killed on such a file, so explain decides as killed too.
        case .unreadable: persisted.killed = true
        }
        let empty = SlidingWindow.Summary(requests: 0, errors: 0, p50Ms: nil, p99Ms: nil)
        let decision = RampController.evaluate(RampController.Input(
            schedule: config.schedule, guardrails: config.guardrails, configuredPercent: config.flag.percent,
            progress: persisted.schedule, latched: persisted.latched, windows: WindowPair(old: empty, new: empty), now: now
        ))
        return FlagState(killed: persisted.killed, latched: persisted.latched, effectivePercent: decision.effectivePercent)
    }
}
