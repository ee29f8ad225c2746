import Foundation
import GatewayCore

/// The thread that writes the rollout state: it hands the runtime's pending changes to the
/// store one at a time, in the order they were made (a kill is never overtaken by an older ramp
/// step), and retries with back-off while the store is unreachable. Store calls block, so they
/// never run on an event loop or the cooperative pool.
///
/// `@unchecked Sendable`: `wakeRequested`, `stopping` and `exited` are only touched while
/// holding `condition`.
final class StateCommitter: @unchecked Sendable {
    private let condition = NSCondition()
    private var wakeRequested = false
    private var stopping = false
    private var exited = false

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
                let stop = stopping
                wakeRequested = false
                condition.unlock()
                let progress = work()
                if stop && progress != .more {
                    // Stopping: everything the store would take is written; then the thread ends.
                    condition.lock()
                    exited = true
                    condition.broadcast()
                    condition.unlock()
                    return
                }
                switch progress {
                case .more:
                    pause = 0.1
                    continue
                case .idle:
                    pause = 0.1
                case .failed:
                    pause = min(1, pause * 2)
                }
                condition.lock()
                if !wakeRequested && !stopping { _ = condition.wait(until: Date(timeIntervalSinceNow: pause)) }
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

    /// Writes what is still pending (as far as the store takes it) and stops the thread; waits
    /// at most `limit` for that. Blocks: call it off the cooperative pool.
    func stop(within limit: Duration) {
        let deadline = Date(timeIntervalSinceNow: limit.seconds)
        condition.lock()
        stopping = true
        condition.broadcast()
        while !exited && condition.wait(until: deadline) {}
        condition.unlock()
    }
}
