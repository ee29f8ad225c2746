import CLinuxEvents
import Foundation
import GatewayCore
import Glibc
import Logging
import NIOConcurrencyHelpers
import Synchronization

/// One share-nothing worker: a thread that owns an epoll set with its own listening socket
/// (`SO_REUSEPORT`), its client connections and its libcurl multi handles. A request is
/// accepted, parsed, decided, forwarded, answered, logged and counted here, without leaving
/// the thread and without a lock: the config arrives through `GatewayRuntime`'s versioned
/// snapshot, counters go to this worker's own `WorkerStats`.
///
/// `@unchecked Sendable`: other threads only call `submit` (a locked task queue plus an eventfd
/// write); every other member is touched by the worker's thread alone, inside `run()`.
final class Worker: @unchecked Sendable {
    let index: Int
    let epoll = EpollSet()
    let runtime: GatewayRuntime
    let stats: WorkerStats
    let logger: Logger
    private let listener: Int32

    // Worker-thread state.
    let clock = LoopClock()
    var now: UInt64 { clock.now }
    var readBuffer = [UInt8](repeating: 0, count: 64 << 10)
    var ids = RandomID()
    var timers = TimerHeap()
    private var connections: [ClientConnection?] = []
    private var openCount = 0
    private var deferred: [() -> Void] = []
    private var upstreams: WorkerUpstreams
    private var cached: WorkerSnapshot?
    private var listening = true
    /// Out of descriptors: accepting again at once would spin, so the listener rests until then.
    private var acceptPausedUntil: UInt64?
    private var running = true
    private var stopRequested = false

    // Shared with other threads: tasks, and whether the loop has ended (then the eventfd may
    // be closed, and must not be written: its number may belong to another socket by then).
    private let tasks = NIOLockedValueBox<(queue: [@Sendable (Worker) -> Void], ended: Bool)>(([], false))

    init(index: Int, listener: Int32, totalWorkers: Int, runtime: GatewayRuntime, logger: Logger) {
        self.index = index
        self.listener = listener
        self.runtime = runtime
        self.logger = logger
        self.stats = runtime.recorder.makeWorkerStats()
        self.upstreams = WorkerUpstreams(epoll: epoll, clock: clock, workers: totalWorkers)
        self.totalWorkers = totalWorkers
        epoll.add(listener, events: EPOLLIN.rawValue, token: EpollToken(.listener, fd: listener))
    }

    /// Runs `task` on the worker's thread (soon, from its loop).
    func submit(_ task: @escaping @Sendable (Worker) -> Void) {
        tasks.withLockedValue { tasks in
            guard !tasks.ended else { return }
            tasks.queue.append(task)
            epoll.wake()
        }
    }

    /// Runs `work` on this thread at the end of the current loop turn.
    func `defer`(_ work: @escaping () -> Void) {
        deferred.append(work)
    }

    /// Mirrored requests of this worker in flight (shadow traffic).
    private var shadowsInFlight = 0
    private let totalWorkers: Int

    /// Sends a shadow copy of `plan` to new once the current answer is out, unless this worker's
    /// share of `maxConcurrent` is in flight (then it is dropped and counted).
    func mirror(_ plan: ForwardingPlan, old: UpstreamResponse, upstreams: UpstreamPair, maxConcurrent: Int) {
        guard shadowsInFlight < max(1, maxConcurrent / totalWorkers) else {
            stats.shadow(.dropped)
            return
        }
        shadowsInFlight += 1
        self.defer { [self] in
            ShadowMirror.send(plan: plan, old: old, upstreams: upstreams, stats: stats, clock: clock) { [self] result in
                shadowsInFlight -= 1
                stats.shadow(result)
            }
        }
    }

    // MARK: - The snapshot

    /// The config and rollout state for a new request, with this worker's upstream clients for
    /// its config: one atomic load unless something changed.
    func currentSnapshot() -> WorkerSnapshot {
        if let cached, runtime.snapshotVersion.load(ordering: .acquiring) == cached.version { return cached }
        guard let (snapshot, newVersion) = runtime.snapshot(newerThan: cached?.version ?? 0) else { return cached! }
        let pair = upstreams.pair(for: snapshot.active)
        let fresh = WorkerSnapshot(snapshot: snapshot, version: newVersion, upstreams: pair)
        cached = fresh
        return fresh
    }

    // MARK: - The loop

    func run() {
        var events = [epoll_event](repeating: epoll_event(), count: 256)
        while running {
            let timeout = nextTimeout()
            let ready = events.withUnsafeMutableBufferPointer { epoll.wait(into: $0, timeoutMilliseconds: timeout) }
            clock.refresh()
            for position in 0..<ready {
                let event = events[position]
                guard let token = EpollToken(packed: event.data.u64) else { continue }
                dispatch(token, events: event.events)
            }
            runDeferred()
            runDueTimers()
            runTasks()
            runDeferred()
            upstreams.releaseRetired()
            if stopRequested && openCount == 0 { running = false }
        }
        shutDown()
    }

    private func dispatch(_ token: EpollToken, events: UInt32) {
        switch token.kind {
        case .wake:
            epoll.drainWake()
        case .listener:
            acceptConnections()
        case .client:
            guard Int(token.fd) < connections.count, let connection = connections[Int(token.fd)] else { return }
            if events & EPOLLOUT.rawValue != 0 { connection.writable() }
            if events & EPOLLIN.rawValue != 0, !connection.isClosed { connection.readable() }
            // Both directions are gone (a reset, or a full close): nothing can be answered, and
            // the socket would be reported again and again.
            if events & (EPOLLERR.rawValue | EPOLLHUP.rawValue) != 0 { connection.hangUp() }
        case .upstream:
            upstreams.socketReady(slot: token.slot, fd: token.fd, events: events)
        }
    }

    /// Milliseconds until the earliest connection deadline or libcurl timer (0 when one is due).
    private func nextTimeout() -> Int32 {
        guard deferred.isEmpty else { return 0 }
        var next = timers.nextDeadline
        if let curl = upstreams.nextTimerDeadline { next = min(next ?? curl, curl) }
        if let acceptPausedUntil { next = min(next ?? acceptPausedUntil, acceptPausedUntil) }
        guard let next else { return 1000 }
        let current = MonotonicClock.now()
        if next <= current { return 0 }
        return Int32(min(1000, (next - current + 999_999) / 1_000_000))
    }

    private func runDueTimers() {
        while let (entry, connection) = timers.popDue(now: now) {
            connection.timerFired(entry: entry, now: now)
        }
        upstreams.runDueTimers(now: now)
        if let until = acceptPausedUntil, until <= now {
            acceptPausedUntil = nil
            if listening { epoll.add(listener, events: EPOLLIN.rawValue, token: EpollToken(.listener, fd: listener)) }
        }
    }

    private func runDeferred() {
        while !deferred.isEmpty {
            let work = deferred
            deferred.removeAll()
            for item in work { item() }
        }
    }

    private func runTasks() {
        let pending = tasks.withLockedValue { tasks -> [@Sendable (Worker) -> Void] in
            defer { tasks.queue.removeAll() }
            return tasks.queue
        }
        for task in pending { task(self) }
    }

    // MARK: - Connections

    private func acceptConnections() {
        for _ in 0..<64 {
            var address = sockaddr_storage()
            var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
            let fd = withUnsafeMutablePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    accept4(listener, $0, &length, Int32(SOCK_NONBLOCK.rawValue | SOCK_CLOEXEC.rawValue))
                }
            }
            if fd < 0 {
                switch errno {
                case EAGAIN, EWOULDBLOCK: return
                case EINTR, ECONNABORTED, EPROTO: continue
                case EMFILE, ENFILE, ENOBUFS, ENOMEM:
                    logger.warning("accept failed: out of file descriptors or memory; pausing accepts for 100 ms", metadata: ["errno": "\(errno)"])
                    epoll.remove(listener)
                    acceptPausedUntil = MonotonicClock.now() + 100_000_000
                    return
                default:
                    return
                }
            }
            guard runtime.connections.acquire() else {
                stats.connectionRefused()
                logger.warning(
                    "connection refused: limits.max_connections reached", metadata: ["max_connections": "\(runtime.connections.maximum)"])
                Glibc.close(fd)
                continue
            }
            var one: Int32 = 1
            setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
            let connection = ClientConnection(fd: fd, peerIP: PeerAddress.ipText(address), worker: self, now: now)
            if Int(fd) >= connections.count { connections += [ClientConnection?](repeating: nil, count: Int(fd) + 1 - connections.count + 64) }
            connections[Int(fd)] = connection
            openCount += 1
            epoll.add(fd, events: EPOLLIN.rawValue, token: connection.token)
            connection.started()
            if stopRequested { connection.quiesce() }
        }
    }

    func connectionClosed(_ connection: ClientConnection) {
        if Int(connection.fd) < connections.count, connections[Int(connection.fd)] === connection {
            connections[Int(connection.fd)] = nil
            openCount -= 1
            runtime.connections.release()
        }
    }

    /// A completed order counts once per idempotency key (`fallback.idempotency_header`): its
    /// retries are the same order. An order without a key counts each time. A key this replica
    /// has not seen is, on a fleet, asked of etcd first (`FleetOrderKeys`); the conversion is
    /// counted on this thread when the answer comes back.
    private func countCompletion(_ request: ProxyRequest, variant: Variant, now: UInt64) {
        let config = request.active.config
        guard let key = request.head.values(named: config.fallback.idempotencyHeader).first, !key.isEmpty else {
            stats.conversion(variant, stage: .done, now: now)
            return
        }
        let window = config.guardrails?.window ?? Guardrails().window
        guard runtime.conversionKeys.firstSeen(key, now: now, window: UInt64(window.seconds * 1e9)) else {
            stats.orderKey(.repeated)
            return
        }
        guard let fleet = runtime.orderKeys else {
            stats.orderKey(.first)
            stats.conversion(variant, stage: .done, now: now)
            return
        }
        fleet.check(String(key), windowSeconds: Int(window.seconds.rounded(.up))) { [self] verdict in
            submit { worker in
                worker.stats.orderKey(verdict)
                if verdict != .repeated { worker.stats.conversion(variant, stage: .done, now: worker.clock.now) }
            }
        }
    }

    /// Metrics, guardrail conversions and the access-log line of one answered request.
    func record(request: ProxyRequest, prepared: ProxyRequest.Prepared, result: ForwardingResult, status: Int, traceID: String?) {
        let finished = clock.now
        let total = Int64(finished &- request.receivedAt)
        stats.request(variant: result.servedBy, outcome: result.outcome, code: status, nanoseconds: total)
        let fallbackLabel = result.refusedUnsafe ? "unsafe_method" : result.fallbackCause?.rawValue
        if let fallbackLabel { stats.fallback(cause: fallbackLabel) }
        if prepared.decision?.reason == .pinned { stats.pinned() }
        if let conversion = request.active.config.guardrails?.conversion {
            let method = prepared.plan.method
            if conversion.start.matches(target: request.head.target, method: method) {
                stats.conversion(result.servedBy, stage: .start, now: finished)
            }
            if (200...299).contains(status), conversion.done.matches(target: request.head.target, method: method) {
                countCompletion(request, variant: result.servedBy, now: finished)
            }
        }
        guard request.active.config.accessLog, let accessLog = runtime.accessLog else { return }
        accessLog.write(
            AccessLog.Entry(
                requestID: prepared.plan.requestID,
                method: prepared.plan.method,
                path: String(PathPrefix.path(of: request.head.target)),
                status: status,
                variant: result.servedBy,
                reason: prepared.decision?.reason.rawValue ?? "no_route",
                fallbackCause: fallbackLabel,
                upstreamMs: Double(result.upstreamNanoseconds) / 1_000_000,
                totalMs: Double(total) / 1_000_000,
                traceID: traceID
            ))
    }

    // MARK: - Stopping (tasks submitted by `WorkerPool`)

    /// Stops accepting; idle connections close at once, busy ones after their answer. The loop
    /// ends when the last connection is gone.
    func quiesce() {
        stopRequested = true
        stopListening()
        for case let connection? in connections { connection.quiesce() }
    }

    /// Closes every connection now (the grace period is over) and ends the loop.
    func closeAll() {
        stopRequested = true
        stopListening()
        for case let connection? in connections { connection.close() }
    }

    private func stopListening() {
        guard listening else { return }
        listening = false
        epoll.remove(listener)
        Glibc.close(listener)
    }

    private func shutDown() {
        upstreams.closeAll()
        runDeferred()
        for case let connection? in connections { connection.close() }
        timers.removeAll()
        // Under the lock that `submit` writes the eventfd under: after this, nobody does.
        tasks.withLockedValue { tasks in
            tasks.ended = true
            tasks.queue.removeAll()
            epoll.close()
        }
    }
}

/// What a request reads at its start, cached per worker until the runtime's version changes.
struct WorkerSnapshot {
    var snapshot: GatewayRuntime.Snapshot
    var version: UInt64
    var upstreams: UpstreamPair
}
