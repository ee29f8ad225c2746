import Foundation
import GatewayCore
import NIOConcurrencyHelpers

/// A replica's part in the fleet when the rollout state lives in etcd (docs/architecture.md, "Rollout state"). Two threads
/// of its own, so no request, event loop or cooperative thread ever waits on etcd:
///
/// - the watcher reads the state, then follows the flag's keys with a watch stream and reads
///   again on every change to kill, latch or schedule (a change reaches every replica within a
///   second); when the stream ends it lists again and watches from there;
/// - the heartbeat, every `interval`: keeps the replica's lease alive, publishes its heartbeat and
///   guardrail window counts under it, runs for the ramp leadership (the `leader` key, bound to
///   the lease), and runs the ramp — as the leader on the sum of every live replica's windows.
///
/// When etcd cannot be reached the replica keeps the last state it read and advances nothing.
///
/// `@unchecked Sendable`: `stopped`, `lease` and `firstRead` are only touched under `lock`.
final class FleetCoordinator: @unchecked Sendable {
    private let runtime: GatewayRuntime
    private let store: EtcdStateStore
    private let interval: Duration
    /// Seconds a replica's lease outlives its last heartbeat: a dead leader is replaced after this.
    static let leaseSeconds = 3
    private let lock = NIOLock()
    private var stopped = false
    private var lease: Int64?
    private var firstRead: [CheckedContinuation<Void, Never>]? = []

    init(runtime: GatewayRuntime, store: EtcdStateStore, interval: Duration = .seconds(1)) {
        self.runtime = runtime
        self.store = store
        self.interval = interval
    }

    private var isStopped: Bool { lock.withLock { stopped } }

    /// Starts both threads and returns after the first attempt to read the state (successful or
    /// not: a replica that cannot read it starts anyway, serving everyone old).
    func start() async {
        let watcher = Thread { [self] in watchLoop() }
        watcher.name = "etcd-watch"
        watcher.start()
        let heartbeat = Thread { [self] in heartbeatLoop() }
        heartbeat.name = "etcd-heartbeat"
        heartbeat.start()
        await withCheckedContinuation { continuation in
            let waiting = lock.withLock { () -> Bool in
                guard firstRead != nil else { return false }
                firstRead!.append(continuation)
                return true
            }
            if !waiting { continuation.resume() }
        }
    }

    /// Stops both threads and gives the leadership up at once (the lease is revoked).
    func stop() {
        let lease = lock.withLock { () -> Int64? in
            stopped = true
            return self.lease
        }
        if let lease { store.revoke(lease: lease) }
    }

    private func firstReadDone() {
        let waiting = lock.withLock { () -> [CheckedContinuation<Void, Never>] in
            defer { firstRead = nil }
            return firstRead ?? []
        }
        for continuation in waiting { continuation.resume() }
    }

    // MARK: - Watcher

    private func watchLoop() {
        while !isStopped {
            guard let revision = readState() else {
                firstReadDone()
                sleep(for: interval)
                continue
            }
            firstReadDone()
            do {
                try store.watch(from: revision + 1, shouldStop: { [self] in isStopped }) { [self] _ in
                    _ = readState()
                }
            } catch {
                runtime.storeUnreachable("\(error)")
                sleep(for: interval)
            }
        }
    }

    /// Reads the state into the runtime; its revision, or nil when etcd did not answer.
    private func readState() -> Int64? {
        switch store.read() {
        case .state(let state, let revision):
            runtime.observe(state, revision: revision)
            return revision
        case .fresh:
            runtime.observe(PersistedState(), revision: 0)
            return 0
        case .unreadable(let reason), .unreachable(let reason):
            runtime.storeUnreachable(reason)
            return nil
        }
    }

    // MARK: - Heartbeat, election, ramp

    private func heartbeatLoop() {
        while !isStopped {
            let started = ContinuousClock.now
            beat()
            let rest = interval - (ContinuousClock.now - started)
            if rest > .zero { sleep(for: rest) }
        }
    }

    private func beat() {
        let local = runtime.localWindows()
        do {
            let lease = try currentLease()
            let info = runtime.configInfo
            let record = ReplicaRecord(
                version: GatewayVersion.current, configSHA256: info.sha256, revision: runtime.fleetView.revision, startedAt: runtime.startedAt
            )
            let leader = try store.heartbeat(id: runtime.replicaID, replica: record, windows: local, lease: lease)
            let fleet = try store.fleet()
            let leading = leader == runtime.replicaID
            runtime.updateFleet(fleet, leading: leading)
            runtime.superviseRamp(windows: leading ? WindowCountsPair.sum(fleet.windows.values) : local, leading: leading)
        } catch {
            lock.withLock { lease = nil }
            runtime.storeUnreachable("\(error)")
            runtime.updateFleet(nil, leading: false)
            runtime.superviseRamp(windows: local, leading: false)
        }
    }

    /// The replica's lease, granted anew when there is none or it expired.
    private func currentLease() throws -> Int64 {
        if let lease = lock.withLock({ lease }), try store.keepAlive(lease: lease) { return lease }
        let fresh = try store.grantLease(ttlSeconds: Self.leaseSeconds)
        lock.withLock { lease = fresh }
        return fresh
    }

    private func sleep(for duration: Duration) {
        // Short naps so that a stop is noticed quickly.
        let deadline = ContinuousClock.now + duration
        while ContinuousClock.now < deadline && !isStopped {
            usleep(useconds_t(min(50_000, max(1_000, (deadline - ContinuousClock.now).seconds * 1_000_000))))
        }
    }
}
