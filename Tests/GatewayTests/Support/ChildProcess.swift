import Foundation
import NIOConcurrencyHelpers

/// A child process started with `posix_spawn`, for the tests' gateways and etcd members.
///
/// Not Foundation's `Process`: on Linux its `run()` reads `/proc/self/fd` entries by copying the
/// whole 256-byte `d_name`, past the end of glibc's buffer, and crashes now and then when the page
/// after it is unmapped (swift-corelibs-foundation PR #5472, not in Swift 6.3.1; it crashed a
/// full test run here). Spawning ourselves also closes every descriptor above 2 in the child
/// (`addclosefrom`), so no test socket leaks into a gateway.
final class ChildProcess: Sendable {
    let processIdentifier: pid_t
    /// The exit status once reaped (`nil` while running); `waitpid` only under this lock.
    private let exit = NIOLockedValueBox<Int32?>(nil)

    /// Starts `executable` with `arguments` and exactly `environment`; the child's stdout and
    /// stderr are the given descriptors (they stay open in the parent: close them after).
    init(executable: String, arguments: [String], environment: [String: String], standardOutput: Int32, standardError: Int32) throws {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, standardOutput, 1)
        posix_spawn_file_actions_adddup2(&actions, standardError, 2)
        guard Self.addCloseFrom(&actions, 3) == 0 else { throw ProcessFailure(description: "posix_spawn_file_actions_addclosefrom_np failed") }
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { (argv + envp).forEach { free($0) } }
        // The spawning thread may block signals (Dispatch's threads do) or ignore some: the child
        // starts with none blocked and every handler at its default, as a shell would start it.
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var noSignals = sigset_t()
        var allSignals = sigset_t()
        sigemptyset(&noSignals)
        sigfillset(&allSignals)
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        posix_spawnattr_setsigdefault(&attributes, &allSignals)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        var pid = pid_t()
        let result = posix_spawn(&pid, executable, &actions, &attributes, argv, envp)
        guard result == 0 else {
            throw ProcessFailure(description: "cannot start \(executable): \(String(cString: strerror(result)))")
        }
        processIdentifier = pid
        ChildProcesses.track(pid)
    }

    /// Reaps the child if it has ended (never blocks).
    var isRunning: Bool {
        exit.withLockedValue { status in
            if status != nil { return false }
            var raw: Int32 = 0
            guard waitpid(processIdentifier, &raw, WNOHANG) == processIdentifier else { return true }
            status = Self.decode(raw)
            return false
        }
    }

    /// The exit code, or 128 + the signal that ended it (as a shell reports it); -1 while running.
    var terminationStatus: Int32 {
        _ = isRunning
        return exit.withLockedValue { $0 } ?? -1
    }

    func signal(_ number: Int32) {
        guard isRunning else { return }
        kill(processIdentifier, number)
    }

    func terminate() { signal(SIGTERM) }

    /// Waits for the child to end, at most `limit`, polling (the test's task is not blocked).
    @discardableResult
    func waitForExit(within limit: Duration = .seconds(20)) async throws -> Int32 {
        let deadline = ContinuousClock.now + limit
        while isRunning {
            guard ContinuousClock.now < deadline else { throw ProcessFailure(description: "process \(processIdentifier) did not exit") }
            try await Task.sleep(for: .milliseconds(10))
        }
        return terminationStatus
    }

    /// Blocks until the child has ended: for cleanup after SIGKILL, which ends it at once.
    func waitUntilExit() {
        exit.withLockedValue { status in
            guard status == nil else { return }
            var raw: Int32 = 0
            while waitpid(processIdentifier, &raw, 0) == -1 && errno == EINTR {}
            status = Self.decode(raw)
        }
    }

    /// glibc's `posix_spawn_file_actions_addclosefrom_np` (2.34+), which Swift's Glibc module does
    /// not declare: looked up once by name.
    private static let addCloseFrom: @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32 = {
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "posix_spawn_file_actions_addclosefrom_np") else {
            fatalError("glibc 2.34 or later is needed (posix_spawn_file_actions_addclosefrom_np)")
        }
        return unsafeBitCast(symbol, to: (@convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32).self)
    }()

    private static func decode(_ raw: Int32) -> Int32 {
        let signal = raw & 0x7f
        return signal == 0 ? (raw >> 8) & 0xff : 128 + signal
    }
}
