/// One upstream's guardrail window as plain counts: what each replica of a fleet publishes every
/// second, and what the ramp leader adds up before it judges (counts and latency buckets add;
/// percentiles do not).
public struct WindowCounts: Sendable, Equatable, Codable {
    public var requests = 0
    public var errors = 0
    /// Per bucket of `LatencyHistogram.boundsMs` (plus the overflow bucket).
    public var latencyCounts: [UInt32] = []
    public var conversionStarts = 0
    public var conversionDones = 0

    public init() {}

    enum CodingKeys: String, CodingKey {
        case requests, errors
        case latencyCounts = "latency_counts"
        case conversionStarts = "conversion_starts"
        case conversionDones = "conversion_dones"
    }

    public mutating func add(_ other: WindowCounts) {
        requests += other.requests
        errors += other.errors
        conversionStarts += other.conversionStarts
        conversionDones += other.conversionDones
        if latencyCounts.count < other.latencyCounts.count {
            latencyCounts += [UInt32](repeating: 0, count: other.latencyCounts.count - latencyCounts.count)
        }
        for (index, count) in other.latencyCounts.enumerated() { latencyCounts[index] &+= count }
    }

    public var summary: SlidingWindow.Summary {
        var histogram = LatencyHistogram()
        histogram.add(counts: latencyCounts)
        return SlidingWindow.Summary(
            requests: requests, errors: errors, p50Ms: histogram.percentile(0.5), p99Ms: histogram.percentile(0.99),
            conversionStarts: conversionStarts, conversionDones: conversionDones
        )
    }
}

/// Both upstreams' windows of one replica.
public struct WindowCountsPair: Sendable, Equatable, Codable {
    public var old: WindowCounts
    public var new: WindowCounts

    public init(old: WindowCounts = WindowCounts(), new: WindowCounts = WindowCounts()) {
        self.old = old
        self.new = new
    }

    public static func sum(_ pairs: some Sequence<WindowCountsPair>) -> WindowCountsPair {
        var total = WindowCountsPair()
        for pair in pairs {
            total.old.add(pair.old)
            total.new.add(pair.new)
        }
        return total
    }

    public var summaries: WindowPair { WindowPair(old: old.summary, new: new.summary) }
}
