import GatewayCore
import Testing

@Suite("Sliding window and latency histogram")
struct SlidingWindowTests {
    private let second: UInt64 = 1_000_000_000

    @Test func countsRequestsAndErrorsInsideTheWindowOnly() {
        var window = SlidingWindow(window: .seconds(60))
        let start: UInt64 = 1_000 * second
        for index in 0..<10 { window.record(at: start + UInt64(index) * second, latencyMs: 5, isError: index < 2) }
        var summary = window.summary(at: start + 10 * second)
        #expect(summary.requests == 10)
        #expect(summary.errors == 2)
        #expect(summary.errorRate == 0.2)
        // At +65 s the window is (5 s, 65 s]: the records of seconds 0 to 5 have aged out.
        summary = window.summary(at: start + 65 * second)
        #expect(summary.requests == 4)
        #expect(summary.errors == 0)
        #expect(window.summary(at: start + 200 * second).requests == 0)
    }

    @Test func slotsAreReusedAfterAFullTurn() {
        var window = SlidingWindow(window: .seconds(60))
        window.record(at: 10 * second, latencyMs: 1, isError: true)
        window.record(at: 70 * second, latencyMs: 1, isError: false)
        let summary = window.summary(at: 70 * second)
        #expect(summary.requests == 1)
        #expect(summary.errors == 0)
    }

    @Test func percentilesComeFromBuckets() {
        var histogram = LatencyHistogram()
        for _ in 0..<98 { histogram.record(milliseconds: 4) }
        histogram.record(milliseconds: 250)
        histogram.record(milliseconds: 900)
        #expect(histogram.percentile(0.5) == 5)
        #expect(histogram.percentile(0.99) == 300)
        #expect(histogram.percentile(1.0) == 1000)
        #expect(LatencyHistogram().percentile(0.5) == nil)
    }

    @Test func emptyWindowHasNoPercentiles() {
        let summary = SlidingWindow(window: .seconds(300)).summary(at: 5 * second)
        #expect(summary == SlidingWindow.Summary(requests: 0, errors: 0, p50Ms: nil, p99Ms: nil))
        #expect(summary.errorRate == 0)
    }
}
