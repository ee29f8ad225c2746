import GatewayCore
import NIOConcurrencyHelpers

/// The live state every connection reads at the start of a request: the active config and the
/// flag's runtime state. One lock, held only to copy two references out.
final class GatewayRuntime: Sendable {
    struct Snapshot: Sendable {
        var active: ActiveConfig
        var flagState: FlagState
    }

    private let box: NIOLockedValueBox<Snapshot>

    init(active: ActiveConfig) {
        box = NIOLockedValueBox(Snapshot(active: active, flagState: FlagState(effectivePercent: active.config.flag.percent)))
    }

    func snapshot() -> Snapshot {
        box.withLockedValue { $0 }
    }
}
