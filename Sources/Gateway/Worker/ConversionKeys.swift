import Synchronization

/// The `Idempotency-Key`s of completed orders seen lately, so a retried order (a double click, a
/// client retry after a timeout, on any connection and any worker) counts as one conversion.
///
/// Two generations of keys, each as long as the guardrail window: a key is a repeat while it is
/// in either, so it is remembered for one to two windows, longer than the window it is judged
/// in. At most `capacity` keys per generation (keys are client-chosen); past that a key counts
/// as new, which can only make new's conversion look better by a retry, never worse.
///
/// The one lock a request takes: only for a `conversion.done` answer carrying a key, held for a
/// set lookup and insert; no I/O under it.
final class ConversionKeys: Sendable {
    private struct Generations {
        var current: Set<String> = []
        var previous: Set<String> = []
        var rotatedAt: UInt64 = 0
    }

    static let defaultCapacity = 100_000
    private let generations = Mutex(Generations())
    private let capacity: Int

    init(capacity: Int = ConversionKeys.defaultCapacity) {
        self.capacity = capacity
    }

    /// Whether `key` is seen for the first time (within one to two `window`s); records it.
    func firstSeen(_ key: String, now: UInt64, window: UInt64) -> Bool {
        generations.withLock { state in
            if now &- state.rotatedAt >= window {
                // A whole window with no rotation means both generations are stale.
                state.previous = now &- state.rotatedAt >= 2 * window ? [] : state.current
                state.current = []
                state.rotatedAt = now
            }
            if state.current.contains(key) || state.previous.contains(key) { return false }
            if state.current.count < capacity { state.current.insert(key) }
            return true
        }
    }
}
