import GatewayCore

/// A worker's upstream clients: one `CurlMulti` per upstream setting in use, in slots that the
/// epoll tokens of libcurl's sockets name. A reload that keeps an upstream's settings keeps its
/// client (and its kept-alive connections); one that changes them gets a new client, and the
/// old one is freed when its last transfer is done.
struct WorkerUpstreams {
    private let epoll: EpollSet
    private let clock: LoopClock
    /// `max_connections` is split across workers, at least 1 each.
    private let workers: Int
    private var slots: [CurlMulti?] = []
    private var current: (active: ObjectIdentifier, pair: UpstreamPair)?

    init(epoll: EpollSet, clock: LoopClock, workers: Int) {
        self.epoll = epoll
        self.clock = clock
        self.workers = workers
    }

    /// The clients for `active`'s upstreams, made or re-used.
    mutating func pair(for active: ActiveConfig) -> UpstreamPair {
        if let current, current.active == ObjectIdentifier(active) { return current.pair }
        let upstreams = active.config.upstreams
        let pair = UpstreamPair(old: client(for: upstreams.old, variant: .old), new: client(for: upstreams.new, variant: .new))
        for case let multi? in slots where multi !== pair.old && multi !== pair.new { multi.retired = true }
        current = (ObjectIdentifier(active), pair)
        return pair
    }

    private mutating func client(for upstream: UpstreamConfig, variant: Variant) -> CurlMulti {
        if let current {
            let existing = current.pair.client(for: variant)
            if existing.upstream == upstream { return existing }
        }
        let slot = slots.firstIndex { $0 == nil } ?? slots.count
        let multi = CurlMulti(upstream: upstream, slot: slot, epoll: epoll, clock: clock, connectionShare: max(1, upstream.maxConnections / workers))
        if slot == slots.count { slots.append(multi) } else { slots[slot] = multi }
        return multi
    }

    func socketReady(slot: Int, fd: Int32, events: UInt32) {
        guard slot < slots.count, let multi = slots[slot] else { return }
        multi.socketReady(fd, events: events)
        multi.collectFinished()
    }

    var nextTimerDeadline: UInt64? {
        var next: UInt64?
        for case let multi? in slots {
            if let deadline = multi.timerDeadline { next = min(next ?? deadline, deadline) }
        }
        return next
    }

    func runDueTimers(now: UInt64) {
        for case let multi? in slots {
            if let deadline = multi.timerDeadline, deadline <= now {
                multi.timerDue()
                multi.collectFinished()
            }
        }
    }

    /// Frees retired clients with nothing in flight.
    mutating func releaseRetired() {
        for index in slots.indices {
            guard let multi = slots[index], multi.retired, multi.inFlight == 0 else { continue }
            multi.close()
            slots[index] = nil
        }
    }

    mutating func closeAll() {
        for index in slots.indices {
            slots[index]?.close()
            slots[index] = nil
        }
        current = nil
    }
}
