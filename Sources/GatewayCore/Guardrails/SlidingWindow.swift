/// Requests, errors and latencies of one upstream over the last `window`, in 60 slots that
/// age out as time passes. Pure: time comes in as a monotonic nanosecond reading, so tests
/// drive it with numbers instead of sleeping.
public struct SlidingWindow: Sendable {
    public struct Slot: Sendable, Equatable {
        var start: UInt64
        var requests = 0
        var errors = 0
        var latency = LatencyHistogram()
        var conversionStarts = 0
        var conversionDones = 0
    }

    public struct Summary: Sendable, Equatable {
        public var requests: Int
        public var errors: Int
        public var p50Ms: Double?
        public var p99Ms: Double?
        public var conversionStarts: Int
        public var conversionDones: Int

        public init(requests: Int, errors: Int, p50Ms: Double?, p99Ms: Double?, conversionStarts: Int = 0, conversionDones: Int = 0) {
            self.requests = requests
            self.errors = errors
            self.p50Ms = p50Ms
            self.p99Ms = p99Ms
            self.conversionStarts = conversionStarts
            self.conversionDones = conversionDones
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
        let index = slot(for: now)
        slots[index]!.requests += 1
        if isError { slots[index]!.errors += 1 }
        slots[index]!.latency.record(milliseconds: latencyMs)
    }

    public enum ConversionStage: String, Sendable {
        case start
        case done
    }

    public mutating func recordConversion(at now: UInt64, stage: ConversionStage) {
        let index = slot(for: now)
        switch stage {
        case .start: slots[index]!.conversionStarts += 1
        case .done: slots[index]!.conversionDones += 1
        }
    }

    /// The index of the slot that holds `now`, emptied first if it still holds an older turn.
    private mutating func slot(for now: UInt64) -> Int {
        let slotStart = now - now % slotNanoseconds
        let index = Int((now / slotNanoseconds) % UInt64(Self.slotCount))
        if slots[index]?.start != slotStart { slots[index] = Slot(start: slotStart) }
        return index
    }

    public func summary(at now: UInt64) -> Summary {
        counts(at: now).summary
    }

    /// The window's totals in a form that adds up across replicas (the fleet's guardrails judge
    /// the sum of every replica's window).
    public func counts(at now: UInt64) -> WindowCounts {
        var total = WindowCounts()
        var latency = LatencyHistogram()
        for case let slot? in slots where slot.start + windowNanoseconds > now && slot.start <= now {
            total.requests += slot.requests
            total.errors += slot.errors
            latency.add(slot.latency)
            total.conversionStarts += slot.conversionStarts
            total.conversionDones += slot.conversionDones
        }
        total.latencyCounts = latency.counts
        return total
    }
}
