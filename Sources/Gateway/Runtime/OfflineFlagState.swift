import Foundation
import GatewayCore
import Logging

/// The flag state a running gateway with this config would have now, read from its
/// `state_file` (kill switch, rollback latch, schedule position) without a running gateway:
/// what `checkout-gateway explain` decides with.
public enum OfflineFlagState {
    public static func load(config: GatewayConfig, now: Date = Date()) -> FlagState {
        let persisted = StateStore(path: config.stateFile).load(logger: Logger(label: "checkout-gateway.explain"))
        let empty = SlidingWindow.Summary(requests: 0, errors: 0, p50Ms: nil, p99Ms: nil)
        let decision = RampController.evaluate(RampController.Input(
            schedule: config.schedule, guardrails: config.guardrails, configuredPercent: config.flag.percent,
            progress: persisted.schedule, latched: persisted.latched, windows: WindowPair(old: empty, new: empty), now: now
        ))
        return FlagState(killed: persisted.killed, latched: persisted.latched, effectivePercent: decision.effectivePercent)
    }
}
