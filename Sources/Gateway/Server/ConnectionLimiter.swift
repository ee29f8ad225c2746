import NIOConcurrencyHelpers

/// Counts open client connections so that `limits.max_connections` refuses new ones without
/// touching those already open.
final class ConnectionLimiter: Sendable {
    private let count = NIOLockedValueBox(0)
    let maximum: Int

    init(maximum: Int) {
        self.maximum = maximum
    }

    func tryAcquire() -> Bool {
        count.withLockedValue { value in
            guard value < maximum else { return false }
            value += 1
            return true
        }
    }

    func release() {
        count.withLockedValue { $0 -= 1 }
    }

    var current: Int { count.withLockedValue { $0 } }
}
