import Foundation
import GatewayCore
import Testing

@Suite("Schedule and guardrails (pure)")
struct RampControllerTests {
    let start = Date(timeIntervalSince1970: 1_800_000_000)
    var schedule: Schedule {
        Schedule(
            start: start,
            steps: [
                .init(percent: 1, hold: .seconds(1800)), .init(percent: 10, hold: .seconds(7200)),
                .init(percent: 50, hold: .seconds(86400)), .init(percent: 100, hold: nil),
            ])
    }

    static func summary(requests: Int, errors: Int = 0, p99: Double? = 10, starts: Int = 0, dones: Int = 0) -> SlidingWindow.Summary {
        SlidingWindow.Summary(
            requests: requests, errors: errors, p50Ms: p99.map { $0 / 2 }, p99Ms: p99, conversionStarts: starts, conversionDones: dones)
    }

    static let healthy = WindowPair(old: summary(requests: 500), new: summary(requests: 500))
    static let quiet = WindowPair(old: summary(requests: 500), new: summary(requests: 99))
    static let failing = WindowPair(old: summary(requests: 500), new: summary(requests: 200, errors: 10))

    private func evaluate(
        at offset: TimeInterval, progress: ScheduleProgress?, windows: WindowPair = healthy, guardrails: Guardrails? = Guardrails(),
        latched: Bool = false
    ) -> RampController.Decision {
        RampController.evaluate(
            .init(
                schedule: schedule, guardrails: guardrails, configuredPercent: 77, progress: progress, latched: latched, windows: windows,
                now: start.addingTimeInterval(offset)
            ))
    }

    @Test func beforeTheStartNothingIsRamped() {
        let decision = evaluate(at: -60, progress: nil)
        #expect(decision.effectivePercent == 0)
        #expect(decision.progress == nil)
        #expect(decision.nextStepAt == start)
    }

    @Test func firstStepIsEnteredAtTheStart() {
        let decision = evaluate(at: 5, progress: nil)
        #expect(decision.effectivePercent == 1)
        #expect(decision.progress == ScheduleProgress(fingerprint: schedule.fingerprint, step: 0, enteredAt: start.addingTimeInterval(5)))
        #expect(decision.nextStepAt == start.addingTimeInterval(5 + 1800))
    }

    @Test func stepsAdvanceOnlyAfterTheirHoldAndWithAGo() {
        let entered = ScheduleProgress(fingerprint: schedule.fingerprint, step: 0, enteredAt: start)
        #expect(evaluate(at: 1799, progress: entered).effectivePercent == 1, "hold not over")
        let advanced = evaluate(at: 1800, progress: entered)
        #expect(advanced.effectivePercent == 10)
        #expect(advanced.progress?.step == 1)
        #expect(advanced.progress?.enteredAt == start.addingTimeInterval(1800))
        #expect(evaluate(at: 5000, progress: entered, windows: Self.quiet).effectivePercent == 1, "no verdict: waits")
        #expect(
            evaluate(
                at: 5000, progress: entered, windows: Self.failing,
                guardrails: {
                    var g = Guardrails(); g.action = .pause; return g
                }()
            ).effectivePercent == 1)
        #expect(evaluate(at: 5000, progress: entered, latched: true).effectivePercent == 1, "latched: no advance")
    }

    @Test func oneStepPerEvaluationEvenAfterALongGap() {
        let entered = ScheduleProgress(fingerprint: schedule.fingerprint, step: 0, enteredAt: start)
        let decision = evaluate(at: 200_000, progress: entered)
        #expect(decision.progress?.step == 1)
        #expect(evaluate(at: 200_001, progress: decision.progress).progress?.step == 1, "the new step's hold starts now")
    }

    @Test func lastStepStays() {
        let last = ScheduleProgress(fingerprint: schedule.fingerprint, step: 3, enteredAt: start)
        let decision = evaluate(at: 10_000_000, progress: last)
        #expect(decision.effectivePercent == 100)
        #expect(decision.progress == last)
        #expect(decision.nextStepAt == nil)
    }

    @Test func withoutGuardrailsTimeAloneAdvances() {
        let entered = ScheduleProgress(fingerprint: schedule.fingerprint, step: 0, enteredAt: start)
        #expect(evaluate(at: 1800, progress: entered, windows: Self.quiet, guardrails: nil).effectivePercent == 10)
    }

    @Test func aChangedScheduleStartsAfresh() {
        let foreign = ScheduleProgress(fingerprint: "another-schedule", step: 2, enteredAt: start)
        let decision = evaluate(at: 9000, progress: foreign)
        #expect(decision.progress == ScheduleProgress(fingerprint: schedule.fingerprint, step: 0, enteredAt: start.addingTimeInterval(9000)))
        #expect(decision.effectivePercent == 1)
    }

    @Test func anUnchangedScheduleKeepsItsPositionWhileLatched() {
        let progress = ScheduleProgress(fingerprint: schedule.fingerprint, step: 2, enteredAt: start)
        let decision = evaluate(at: 10, progress: progress, windows: Self.failing, latched: true)
        #expect(decision.progress == progress)
        #expect(decision.effectivePercent == 50)
        #expect(decision.latchReason == nil, "already latched: nothing new to latch")
    }

    @Test func withoutScheduleFlagPercentGoverns() {
        let decision = RampController.evaluate(
            .init(
                schedule: nil, guardrails: Guardrails(), configuredPercent: 30, progress: nil, latched: false, windows: Self.failing, now: start
            ))
        #expect(decision.effectivePercent == 30)
        #expect(decision.latchReason != nil, "guardrails act without a schedule")
    }

    // MARK: - The judge

    @Test func noVerdictBelowMinRequests() {
        #expect(
            GuardrailJudge.verdict(Guardrails(), windows: WindowPair(old: Self.summary(requests: 500), new: Self.summary(requests: 99, errors: 99)))
                == .noVerdict)
    }

    @Test func breachByErrorRate() {
        let verdict = GuardrailJudge.verdict(Guardrails(), windows: Self.failing)
        #expect(verdict == .breach("error rate on new 5% > 2% (10 of 200 requests in the last 5m)"))
        #expect(
            GuardrailJudge.verdict(Guardrails(), windows: WindowPair(old: Self.summary(requests: 500), new: Self.summary(requests: 200, errors: 4)))
                == .go)
    }

    @Test func breachByP99Ratio() {
        let slow = WindowPair(old: Self.summary(requests: 500, p99: 100), new: Self.summary(requests: 200, p99: 300))
        guard case .breach(let reason) = GuardrailJudge.verdict(Guardrails(), windows: slow) else {
            Issue.record("expected a breach")
            return
        }
        #expect(reason.hasPrefix("p99 latency new/old 3 > 2"))
        let oldTooQuiet = WindowPair(old: Self.summary(requests: 50, p99: 100), new: Self.summary(requests: 200, p99: 300))
        #expect(GuardrailJudge.verdict(Guardrails(), windows: oldTooQuiet) == .go, "p99 ratio needs min_requests on both")
    }

    @Test func breachByConversionRatio() {
        var guardrails = Guardrails()
        guardrails.conversion = Conversion(
            start: RequestMatch(pathPrefix: "/checkout", method: "GET"), done: RequestMatch(pathPrefix: "/orders", method: "POST"))
        let worse = WindowPair(
            old: Self.summary(requests: 5000, starts: 2000, dones: 1000), new: Self.summary(requests: 5000, starts: 2000, dones: 800))
        guard case .breach(let reason) = GuardrailJudge.verdict(guardrails, windows: worse) else {
            Issue.record("expected a breach")
            return
        }
        #expect(reason.hasPrefix("conversion new/old 0.8 < 0.9 (new 800 of 2000 checkouts, old 1000 of 2000"), "\(reason)")
        #expect(reason.hasSuffix("; p = 3.88e-04 < 0.05)"), "the p-value is in the message: \(reason)")
        let noisy = WindowPair(old: Self.summary(requests: 500, starts: 200, dones: 100), new: Self.summary(requests: 500, starts: 200, dones: 80))
        #expect(GuardrailJudge.verdict(guardrails, windows: noisy) == .go, "the same ratio on 200 checkouts is within noise (p = 0.14)")
        let fine = WindowPair(old: Self.summary(requests: 500, starts: 200, dones: 100), new: Self.summary(requests: 500, starts: 200, dones: 95))
        #expect(GuardrailJudge.verdict(guardrails, windows: fine) == .go)
        let fewCheckouts = WindowPair(
            old: Self.summary(requests: 500, starts: 200, dones: 100), new: Self.summary(requests: 500, starts: 50, dones: 0))
        #expect(GuardrailJudge.verdict(guardrails, windows: fewCheckouts) == .go, "conversion needs min_requests checkouts on both")
    }

    @Test func pauseHoldsWithoutLatchingAndRollbackLatches() {
        var pause = Guardrails()
        pause.action = .pause
        let entered = ScheduleProgress(fingerprint: schedule.fingerprint, step: 1, enteredAt: start)
        let paused = evaluate(at: 100_000, progress: entered, windows: Self.failing, guardrails: pause)
        #expect(paused.latchReason == nil)
        #expect(paused.effectivePercent == 10)
        let rolledBack = evaluate(at: 100_000, progress: entered, windows: Self.failing)
        #expect(rolledBack.latchReason?.hasPrefix("error rate on new") == true)
        #expect(rolledBack.progress?.step == 1)
    }
}
