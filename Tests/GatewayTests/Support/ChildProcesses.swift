import Foundation
import NIOConcurrencyHelpers

/// Every process a test starts (gateways, etcd members), killed when the test process exits,
/// so a failing test never leaves one running.
enum ChildProcesses {
    private static let running: NIOLockedValueBox<[Int32]> = {
        atexit {
            for pid in ChildProcesses.pids() where ChildProcesses.isOurs(pid) { kill(pid, SIGKILL) }
        }
        return NIOLockedValueBox([])
    }()

    static func track(_ pid: pid_t) {
        running.withLockedValue { $0.append(pid) }
    }

    /// A pid may have been reused since: only a process still running one of our binaries is ended.
    fileprivate static func isOurs(_ pid: Int32) -> Bool {
        guard let exe = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/exe") else { return false }
        return exe.hasSuffix("/checkout-gateway") || exe.hasSuffix("/etcd") || exe.hasSuffix("/prometheus")
    }

    fileprivate static func pids() -> [Int32] {
        running.withLockedValue { $0 }
    }
}
