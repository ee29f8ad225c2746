/// Latency counts in fixed, roughly logarithmic buckets: a window keeps one of these per slot
/// instead of a list of samples, so memory stays constant whatever the traffic.
public struct LatencyHistogram: Sendable, Equatable {
    /// Upper bounds in milliseconds; the last bucket takes everything above.
    public static let boundsMs: [Double] = [
        1, 2, 3, 5, 7, 10, 15, 20, 30, 50, 70, 100, 150, 200, 300, 500, 700, 1000, 1500, 2000, 3000, 5000, 7000, 10000,
        15000, 30000, 60000,
    ]

    public private(set) var counts: [UInt32]
    public private(set) var total: Int = 0

    public init() {
        counts = [UInt32](repeating: 0, count: Self.boundsMs.count + 1)
    }

    public mutating func record(milliseconds: Double) {
        var index = 0
        while index < Self.boundsMs.count && milliseconds > Self.boundsMs[index] { index += 1 }
        counts[index] += 1
        total += 1
    }

    /// Adds bucket counts published by another replica (extra buckets beyond ours are ignored).
    public mutating func add(counts other: [UInt32]) {
        for (index, count) in other.prefix(counts.count).enumerated() {
            counts[index] &+= count
            total += Int(count)
        }
    }

    public mutating func add(_ other: LatencyHistogram) {
        for index in counts.indices { counts[index] += other.counts[index] }
        total += other.total
    }

    /// The latency below which `quantile` of the samples fall, as the upper bound of the bucket
    /// that holds that rank (a conservative estimate); nil without samples.
    public func percentile(_ quantile: Double) -> Double? {
        guard total > 0 else { return nil }
        let rank = max(1, Int((quantile * Double(total)).rounded(.up)))
        var seen = 0
        for (index, count) in counts.enumerated() {
            seen += Int(count)
            if seen >= rank {
                return index < Self.boundsMs.count ? Self.boundsMs[index] : Self.boundsMs[Self.boundsMs.count - 1] * 2
            }
        }
        return nil
    }
}
