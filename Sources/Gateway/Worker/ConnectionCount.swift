import Synchronization

/// The open client connections of the public listener, across every worker, against
/// `limits.max_connections`: one atomic, taken at accept and given back at close.
final class ConnectionCount: Sendable {
    let maximum: Int
    private let open = Atomic<Int>(0)

    init(maximum: Int) {
        self.maximum = maximum
    }

    var current: Int { open.load(ordering: .relaxed) }

    /// Counts a new connection, or returns false when the cap is reached.
    func acquire() -> Bool {
        var value = open.load(ordering: .relaxed)
        while value < maximum {
            let (exchanged, original) = open.compareExchange(expected: value, desired: value + 1, ordering: .relaxed)
            if exchanged { return true }
            value = original
        }
        return false
    }

    func release() {
        open.subtract(1, ordering: .relaxed)
    }
}
