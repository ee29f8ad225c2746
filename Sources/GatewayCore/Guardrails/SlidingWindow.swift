/// Requests, errors and latencies of one upstream over the last `window`, in 60 slots that
/// age out as time passes. Pure: time comes in as a monotonic nanosecond reading, so tests
/// drive it with numbers instead of sleeping.
public struct SlidingWindow: Sendable {
    public struct Slot: Sendable, Equatable {
        var start: UInt64
        var requests = 0
        var errors = 0
        var latency = LatencyHistogram()
    }

    public struct Summary: Sendable, Equatable {
        public var requests: Int
        public var errors: Int
        public var p50Ms: Double?
        public var p99Ms: Double?

        public init(requests: Int, errors: Int, p50Ms: Double?, p99Ms: Double?) {
            self.requests = requests
            self.errors = errors
            self.p50Ms = p50Ms
            self.p99Ms = p99Ms
        }

        public var errorRate: Double { requests == 0 ? 0 : Double(errors) / Double(requests) }
    }

    public let windowNanoseconds: UInt64
    private let slotNanoseconds: UInt64
    private var slots: [Slot?]

    public static let slotCount = 60

    public init(window: Duration) {
        let nanoseconds = UInt64(max(window.milliseconds, 60)) * 1_000_000
        windowNanoseconds = nanoseconds
        slotNanoseconds = nanoseconds / UInt64(Self.slotCount)
        slots = Array(repeating: nil, count: Self.slotCount)
    }

    public mutating func record(at now: UInt64, latencyMs: Double, isError: Bool) {
        let slotStart = now - now % slotNanoseconds
        let index = Int((now / slotNanoseconds) % UInt64(Self.slotCount))
        if slots[index]?.start != slotStart { slots[index] = Slot(start: slotStart) }
        slots[index]!.requests += 1
        if isError { slots[index]!.errors += 1 }
        slots[index]!.latency.record(milliseconds: latencyMs)
    }

    public func summary(at now: UInt64) -> Summary {
        var requests = 0
        var errors = 0
        var latency = LatencyHistogram()
        for case let slot? in slots where slot.start + windowNanoseconds > now && slot.start <= now {
            requests += slot.requests
            errors += slot.errors
            latency.add(slot.latency)
        }
        return Summary(requests: requests, errors: errors, p50Ms: latency.percentile(0.5), p99Ms: latency.percentile(0.99))
    }
}
