import GatewayCore
import Synchronization

/// The guardrail window's length and generation, shared by every worker's `WorkerStats`: a
/// reload that changes the length, or a resume, starts a new generation, and slots of an older
/// one no longer count.
final class WindowSettings: Sendable {
    private let packed: Atomic<UInt64>

    init(length: Duration) {
        packed = Atomic(Self.pack(length: length, generation: 1))
    }

    /// Length in nanoseconds (at least 60 ms: one per slot) and generation, read together.
    var current: (length: UInt64, generation: Int) {
        let value = packed.load(ordering: .acquiring)
        return ((value >> 16) * 1_000_000, Int(value & 0xFFFF))
    }

    /// Starts a new generation; with `length`, also a new window length.
    func reset(length: Duration? = nil) {
        while true {
            let value = packed.load(ordering: .relaxed)
            let milliseconds = length.map { UInt64(max(60, $0.milliseconds)) } ?? (value >> 16)
            let next = (milliseconds << 16) | (((value & 0xFFFF) + 1) & 0xFFFF | (value & 0xFFFF == 0xFFFF ? 1 : 0))
            if packed.compareExchange(expected: value, desired: next, ordering: .acquiringAndReleasing).exchanged { return }
        }
    }

    var lengthDuration: Duration { .nanoseconds(Int64(current.length)) }

    private static func pack(length: Duration, generation: UInt64) -> UInt64 {
        (UInt64(max(60, length.milliseconds)) << 16) | generation
    }
}
