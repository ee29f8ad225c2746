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

    enum Progress {
        /// A change was settled; more may be ready.
        case more
        /// Nothing pending.
        case idle
        /// The store did not take the change; try again after a pause.
        case failed
    }

    /// Starts the thread; `work` commits one change.
    func start(_ work: @escaping @Sendable () -> Progress) {
        let thread = Thread { [self] in
            // After a failed write, retry soon and then less often: 0.1 s doubling up to 1 s.
            var pause = 0.1
            while true {
                condition.lock()
                let stop = stopped
                wakeRequested = false
                condition.unlock()
                if stop { return }
                switch work() {
                case .more:
                    pause = 0.1
                    continue
                case .idle:
                    pause = 0.1
                case .failed:
                    pause = min(1, pause * 2)
                }
                condition.lock()
                if !wakeRequested && !stopped { _ = condition.wait(until: Date(timeIntervalSinceNow: pause)) }
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
