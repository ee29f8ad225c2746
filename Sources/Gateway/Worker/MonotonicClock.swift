import Glibc

/// The monotonic clock in nanoseconds: what workers feed their connection state machines and
/// timers (a vDSO call, no system call).
enum MonotonicClock {
    @inline(__always)
    static func now() -> UInt64 {
        var spec = timespec()
        clock_gettime(CLOCK_MONOTONIC, &spec)
        return UInt64(spec.tv_sec) * 1_000_000_000 + UInt64(spec.tv_nsec)
    }
}
