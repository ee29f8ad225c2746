import GatewayCore

/// `GET /ui/series`: what the console's charts draw — both upstreams' guardrail windows slot by
/// slot (the oldest first, the slot now filling last), the guardrail limits to draw as lines,
/// and the fallbacks since start by cause. This replica's own traffic (a fleet's leader judges
/// the sum; `/status` `fleet` lists the replicas).
struct ConsoleSeries: Encodable {
    struct Point: Encodable {
        var requests: Int
        var errors: Int
        var p50Ms: Double?
        var p99Ms: Double?
        var starts: Int
        var dones: Int

        enum CodingKeys: String, CodingKey {
            case requests, errors, starts, dones
            case p50Ms = "p50_ms"
            case p99Ms = "p99_ms"
        }

        init(_ counts: WindowCounts) {
            let summary = counts.summary
            requests = counts.requests
            errors = counts.errors
            p50Ms = summary.p50Ms
            p99Ms = summary.p99Ms
            starts = counts.conversionStarts
            dones = counts.conversionDones
        }
    }

    /// The guardrails' limits (absent without guardrails).
    struct Limits: Encodable {
        var maxErrorRate: Double
        var maxP99Ratio: Double
        var minConversionRatio: Double?
        var minRequests: Int

        enum CodingKeys: String, CodingKey {
            case maxErrorRate = "max_error_rate"
            case maxP99Ratio = "max_p99_ratio"
            case minConversionRatio = "min_conversion_ratio"
            case minRequests = "min_requests"
        }
    }

    var slotSeconds: Double
    var old: [Point]
    var new: [Point]
    var limits: Limits?
    var fallbacks: [String: Int]

    enum CodingKeys: String, CodingKey {
        case old, new, limits, fallbacks
        case slotSeconds = "slot_seconds"
    }
}

extension GatewayRuntime {
    func consoleSeries() -> ConsoleSeries {
        let (slotSeconds, slots) = recorder.slots()
        let guardrails = snapshot().active.config.guardrails
        return ConsoleSeries(
            slotSeconds: slotSeconds,
            old: (slots[.old] ?? []).map(ConsoleSeries.Point.init),
            new: (slots[.new] ?? []).map(ConsoleSeries.Point.init),
            limits: guardrails.map {
                ConsoleSeries.Limits(
                    maxErrorRate: $0.maxErrorRate, maxP99Ratio: $0.maxP99Ratio, minConversionRatio: $0.conversion?.minRatio,
                    minRequests: $0.minRequests)
            },
            fallbacks: recorder.fallbackTotals()
        )
    }
}
