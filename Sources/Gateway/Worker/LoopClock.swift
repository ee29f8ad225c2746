import Glibc

/// A worker's idea of the time: the monotonic clock read once per turn of its loop (after
/// `epoll_wait`), shared by its connections, upstream clients and request timings, so a request
/// costs no clock reads of its own. Good to the time one turn takes (microseconds).
final class LoopClock {
    private(set) var now: UInt64 = MonotonicClock.now()

    func refresh() {
        now = MonotonicClock.now()
    }
}

/// The monotonic clock in nanoseconds (a vDSO call, no system call).
enum MonotonicClock {
    @inline(__always)
    static func now() -> UInt64 {
        var spec = timespec()
        clock_gettime(CLOCK_MONOTONIC, &spec)
        return UInt64(spec.tv_sec) * 1_000_000_000 + UInt64(spec.tv_nsec)
    }
}
