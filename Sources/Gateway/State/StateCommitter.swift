import Foundation

/// The thread that writes the rollout state: it hands the runtime's pending changes to the
/// store one at a time, in the order they were made (a kill is never overtaken by an older ramp
/// step), and retries every second while the store is unreachable. Store calls block, so they
/// never run on an event loop or the cooperative pool.
///
/// `@unchecked Sendable`: `wakeRequested` and `stopped` are only touched while holding `condition`.
final class StateCommitter: @unchecked Sendable {
    private let condition = NSCondition()
    private var wakeRequested = false
    private var stopped = false

    /// Starts the thread; `work` commits one change and says whether more may be ready now.
    func start(_ work: @escaping @Sendable () -> Bool) {
        let thread = Thread { [self] in
            while true {
                condition.lock()
                let stop = stopped
                wakeRequested = false
                condition.unlock()
                if stop { return }
                if work() { continue }
                condition.lock()
                if !wakeRequested && !stopped { _ = condition.wait(until: Date(timeIntervalSinceNow: 1)) }
                condition.unlock()
            }
        }
        thread.name = "state-commit"
        thread.start()
    }

    func wake() {
        condition.lock()
        wakeRequested = true
        condition.signal()
        condition.unlock()
    }

    func stop() {
        condition.lock()
        stopped = true
        condition.signal()
        condition.unlock()
    }
}
