import GatewayCore
import Testing

@Suite("Unleash-compatible bucketing")
struct BucketingTests {
    /// The values Unleash's Node, Java and Go clients agree on (their cross-client test).
    @Test func matchesUnleashClients() {
        #expect(Bucketing.bucket(groupID: "gr1", identity: "123") == 73)
        #expect(Bucketing.bucket(groupID: "groupX", identity: "999") == 25)
    }

    /// Computed independently with Python's `mmh3` (hash of "group:id", seed 0, % 100 + 1).
    @Test(arguments: [
        ("alice", 41), ("bob", 89), ("qa-alice", 79), ("user-42", 75), ("ü-名前", 54),
    ])
    func matchesIndependentValues(identity: String, expected: Int) {
        #expect(Bucketing.bucket(groupID: "new-checkout", identity: identity) == expected)
    }

    @Test func rampingNeverTakesNewAway() {
        let percents = [0, 1, 5, 10, 25, 50, 75, 99, 100]
        for index in 0..<5000 {
            let bucket = Bucketing.bucket(groupID: "new-checkout", identity: "user-\(index)")
            var hadNew = false
            for percent in percents {
                let hasNew = Bucketing.isIn(bucket: bucket, percent: percent)
                #expect(!(hadNew && !hasNew), "user-\(index) lost new when the ramp reached \(percent)%")
                hadNew = hasNew
            }
        }
    }

    @Test func zeroAndHundredAreExact() {
        for index in 0..<5000 {
            let bucket = Bucketing.bucket(groupID: "new-checkout", identity: "id-\(index)")
            #expect((1...100).contains(bucket))
            #expect(!Bucketing.isIn(bucket: bucket, percent: 0))
            #expect(Bucketing.isIn(bucket: bucket, percent: 100))
        }
    }

    @Test(arguments: [1, 10, 50])
    func shareOfNewIsCloseToPercent(percent: Int) {
        let total = 20_000
        var new = 0
        for index in 0..<total
        where Bucketing.isIn(bucket: Bucketing.bucket(groupID: "new-checkout", identity: "customer-\(index)"), percent: percent) {
            new += 1
        }
        let share = Double(new) * 100 / Double(total)
        #expect(abs(share - Double(percent)) <= 1.5, "share \(share)% at \(percent)%")
    }
}
