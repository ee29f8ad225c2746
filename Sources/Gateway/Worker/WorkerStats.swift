import GatewayCore
import Synchronization

/// The request-path counters of one worker — Prometheus series and guardrail windows — in one
/// `CounterBlock`. Only its worker writes; `/metrics`, `/status` and the ramp add every worker's
/// block up when they read (`TrafficRecorder`).
///
/// The window is 60 slots per upstream; a slot is re-used when its turn comes round. Its start
/// doubles as a sequence lock: the writer clears it before re-using the slot and sets it after,
/// and a reader keeps a slot only if it read the same start before and after the counts.
final class WorkerStats: Sendable {
    let block: CounterBlock
    private let window: WindowSettings

    init(window: WindowSettings) {
        self.window = window
        block = CounterBlock(count: Layout.size)
    }

    // MARK: - Layout

    enum Layout {
        static let variants = 2
        static let outcomes = 3
        static let codes = 600
        /// Upper bounds of the request and upstream duration histograms, in milliseconds.
        static let durationBoundsMs: [Int64] = [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000]
        /// Buckets (the last is +Inf), then count, then the sum in nanoseconds.
        static let histogramWidth = durationBoundsMs.count + 3
        /// `1xx`…`5xx`, `timeout`, `connect_error`, `bad_response`, `resent`.
        static let upstreamResults = ["1xx", "2xx", "3xx", "4xx", "5xx", "timeout", "connect_error", "bad_response", "resent"]
        static let fallbackCauses = FallbackCause.allCases.map(\.rawValue) + ["unsafe_method"]
        static let conversionStages = [SlidingWindow.ConversionStage.start, .done]
        static let latencyBuckets = LatencyHistogram.boundsMs.count + 1
        /// Start, generation, requests, errors, conversion starts and dones, latency buckets.
        static let slotWidth = 6 + latencyBuckets

        static let requests = 0
        static let requestDurations = requests + variants * outcomes * codes
        static let upstreamRequests = requestDurations + variants * histogramWidth
        static let upstreamDurations = upstreamRequests + variants * upstreamResults.count
        static let fallbacks = upstreamDurations + variants * histogramWidth
        static let rejected = fallbacks + fallbackCauses.count
        static let refused = rejected + codes
        static let pinned = refused + 1
        static let shadow = pinned + 1
        static let conversions = shadow + ShadowMirror.Result.allCases.count
        static let orderKeys = conversions + variants * conversionStages.count
        static let windows = orderKeys + FleetOrderKeys.Verdict.allCases.count
        static let size = windows + variants * SlidingWindow.slotCount * slotWidth

        static func variant(_ variant: Variant) -> Int { variant == .old ? 0 : 1 }
        static func code(_ code: Int) -> Int { min(max(code, 0), codes - 1) }
        static func outcome(_ outcome: ForwardingResult.Outcome) -> Int {
            switch outcome {
            case .ok: 0
            case .fallback: 1
            case .error: 2
            }
        }
        static func upstreamResult(_ outcome: AttemptOutcome) -> Int {
            switch outcome {
            case .status(let code): min(max(code / 100, 1), 5) - 1
            case .timeout: 5
            case .connectError: 6
            case .badResponse: 7
            }
        }
        static let resentIndex = 8
        static func fallbackCause(_ label: String) -> Int? { fallbackCauses.firstIndex(of: label) }
    }

    // MARK: - Writing (the worker thread only)

    func request(variant: Variant, outcome: ForwardingResult.Outcome, code: Int, nanoseconds: Int64) {
        let v = Layout.variant(variant)
        block.add(Layout.requests + (v * Layout.outcomes + Layout.outcome(outcome)) * Layout.codes + Layout.code(code))
        observe(Layout.requestDurations + v * Layout.histogramWidth, nanoseconds: nanoseconds)
    }

    func upstream(_ variant: Variant, outcome: AttemptOutcome, resends: Int, nanoseconds: Int64, now: UInt64) {
        let v = Layout.variant(variant)
        let results = Layout.upstreamRequests + v * Layout.upstreamResults.count
        block.add(results + Layout.upstreamResult(outcome))
        if resends > 0 { block.add(results + Layout.resentIndex, resends) }
        observe(Layout.upstreamDurations + v * Layout.histogramWidth, nanoseconds: nanoseconds)
        let slot = windowSlot(variant, now: now)
        block.add(slot + 2)
        if outcome.isFailure { block.add(slot + 3) }
        block.add(slot + 6 + Self.latencyBucket(milliseconds: Double(nanoseconds) / 1_000_000))
    }

    func fallback(cause: String) {
        if let index = Layout.fallbackCause(cause) { block.add(Layout.fallbacks + index) }
    }

    func rejected(code: Int) {
        block.add(Layout.rejected + Layout.code(code))
    }

    func connectionRefused() {
        block.add(Layout.refused)
    }

    func pinned() {
        block.add(Layout.pinned)
    }

    /// How a completed order's idempotency key was judged: first seen, a repeat, or counted
    /// without asking the fleet (etcd did not answer).
    func orderKey(_ verdict: FleetOrderKeys.Verdict) {
        block.add(Layout.orderKeys + verdict.rawValue)
    }

    func shadow(_ result: ShadowMirror.Result) {
        block.add(Layout.shadow + result.rawValue)
    }

    func conversion(_ variant: Variant, stage: SlidingWindow.ConversionStage, now: UInt64) {
        let v = Layout.variant(variant)
        block.add(Layout.conversions + v * 2 + (stage == .start ? 0 : 1))
        block.add(windowSlot(variant, now: now) + (stage == .start ? 4 : 5))
    }

    private func observe(_ histogram: Int, nanoseconds: Int64) {
        var bucket = 0
        while bucket < Layout.durationBoundsMs.count && nanoseconds > Layout.durationBoundsMs[bucket] * 1_000_000 { bucket += 1 }
        block.add(histogram + bucket)
        block.add(histogram + Layout.durationBoundsMs.count + 1)
        block.add(histogram + Layout.durationBoundsMs.count + 2, Int(nanoseconds))
    }

    static func latencyBucket(milliseconds: Double) -> Int {
        var index = 0
        while index < LatencyHistogram.boundsMs.count && milliseconds > LatencyHistogram.boundsMs[index] { index += 1 }
        return index
    }

    /// The first counter of the slot that holds `now`, re-used first if it holds an older turn
    /// or a window from before a reset.
    private func windowSlot(_ variant: Variant, now: UInt64) -> Int {
        let (length, generation) = window.current
        let slotLength = length / UInt64(SlidingWindow.slotCount)
        let slotStart = Int(now - now % slotLength) | 1  // never 0: 0 marks a slot being re-used
        let slot =
            Layout.windows + (Layout.variant(variant) * SlidingWindow.slotCount + Int((now / slotLength) % UInt64(SlidingWindow.slotCount)))
            * Layout.slotWidth
        if block.load(slot) != slotStart || block.load(slot + 1) != generation {
            block.storeReleasing(slot, 0)
            atomicMemoryFence(ordering: .releasing)
            for offset in 1..<Layout.slotWidth { block.store(slot + offset, 0) }
            block.store(slot + 1, generation)
            block.storeReleasing(slot, slotStart)
        }
        return slot
    }

    // MARK: - Reading (any thread)

    /// This worker's window of `variant` at `now`, added into `total`.
    func addWindow(_ variant: Variant, at now: UInt64, into total: inout WindowCounts) {
        if total.latencyCounts.count < Layout.latencyBuckets {
            total.latencyCounts = [UInt32](repeating: 0, count: Layout.latencyBuckets)
        }
        forEachSlot(variant, at: now) { _, counts in total.add(counts) }
    }

    /// This worker's window of `variant` slot by slot, added into `slots` (one per slot, the
    /// oldest first, the slot holding `now` last): the console's charts.
    func addSlots(_ variant: Variant, at now: UInt64, into slots: inout [WindowCounts]) {
        if slots.count != SlidingWindow.slotCount { slots = [WindowCounts](repeating: WindowCounts(), count: SlidingWindow.slotCount) }
        let slotLength = window.current.length / UInt64(SlidingWindow.slotCount)
        let current = now / slotLength
        forEachSlot(variant, at: now) { slotStart, counts in
            let age = Int(current - slotStart / slotLength)
            guard age < SlidingWindow.slotCount else { return }
            slots[SlidingWindow.slotCount - 1 - age].add(counts)
        }
    }

    /// Each slot of `variant` inside the window at `now` with its start, read under the slot's
    /// sequence lock (a slot being re-used is skipped).
    private func forEachSlot(_ variant: Variant, at now: UInt64, _ body: (UInt64, WindowCounts) -> Void) {
        let (length, generation) = window.current
        let first = Layout.windows + Layout.variant(variant) * SlidingWindow.slotCount * Layout.slotWidth
        for index in 0..<SlidingWindow.slotCount {
            let slot = first + index * Layout.slotWidth
            let start = block.loadAcquiring(slot)
            guard start != 0, block.load(slot + 1) == generation else { continue }
            let slotStart = UInt64(start & ~1)
            guard slotStart + length > now, slotStart <= now else { continue }
            var counts = WindowCounts()
            counts.requests = block.load(slot + 2)
            counts.errors = block.load(slot + 3)
            counts.conversionStarts = block.load(slot + 4)
            counts.conversionDones = block.load(slot + 5)
            counts.latencyCounts = (0..<Layout.latencyBuckets).map { UInt32(truncatingIfNeeded: block.load(slot + 6 + $0)) }
            atomicMemoryFence(ordering: .acquiring)
            guard block.loadAcquiring(slot) == start else { continue }
            body(slotStart, counts)
        }
    }
}
