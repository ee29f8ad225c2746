import Foundation
import GatewayCore
import Testing

/// Approval gates in the ramp (pure): a step with `approve: true` waits, after its hold and a go,
/// until someone promotes it; the wait is recorded once; an approval moves the ramp on.
@Suite("Approval gates (pure)", .timeLimit(.minutes(1)))
struct ApprovalGateTests {
    let start = Date(timeIntervalSince1970: 1_800_000_000)
    var schedule: Schedule {
        Schedule(start: start, steps: [.init(percent: 10, hold: .seconds(600), approve: true), .init(percent: 100, hold: nil)])
    }
    static let healthy = WindowPair(
        old: .init(requests: 500, errors: 0, p50Ms: 5, p99Ms: 10, conversionStarts: 0, conversionDones: 0),
        new: .init(requests: 500, errors: 0, p50Ms: 5, p99Ms: 10, conversionStarts: 0, conversionDones: 0))
    static let quiet = WindowPair(
        old: .init(requests: 500, errors: 0, p50Ms: 5, p99Ms: 10, conversionStarts: 0, conversionDones: 0),
        new: .init(requests: 3, errors: 0, p50Ms: 5, p99Ms: 10, conversionStarts: 0, conversionDones: 0))

    private func evaluate(at offset: TimeInterval, _ progress: ScheduleProgress, windows: WindowPair = healthy) -> RampController.Decision {
        RampController.evaluate(
            .init(
                schedule: schedule, guardrails: Guardrails(), configuredPercent: 0, progress: progress, latched: false, windows: windows,
                now: start.addingTimeInterval(offset)))
    }

    @Test func aGateWaitsAfterItsHoldUntilApprovedThenMovesOn() {
        let entered = ScheduleProgress(fingerprint: schedule.fingerprint, step: 0, enteredAt: start)
        #expect(evaluate(at: 599, entered).progress == entered, "hold not over: nothing recorded")
        #expect(evaluate(at: 900, entered, windows: Self.quiet).progress == entered, "no verdict: not ready, so not waiting")

        let waiting = evaluate(at: 600, entered)
        #expect(waiting.effectivePercent == 10, "a gate never advances on its own")
        #expect(waiting.progress?.step == 0)
        #expect(waiting.progress?.awaitingApprovalSince == start.addingTimeInterval(600))
        let stillWaiting = evaluate(at: 5000, waiting.progress!)
        #expect(stillWaiting.progress == waiting.progress, "the wait is recorded once, at its start")
        #expect(stillWaiting.effectivePercent == 10)

        var approved = waiting.progress!
        approved.approvedBy = "token"
        approved.approvedAt = start.addingTimeInterval(5001)
        let moved = evaluate(at: 5002, approved)
        #expect(moved.effectivePercent == 100)
        #expect(moved.progress == ScheduleProgress(fingerprint: schedule.fingerprint, step: 1, enteredAt: start.addingTimeInterval(5002)))
        #expect(moved.progress?.approvedBy == nil, "an approval is for one step")
    }

    @Test func anApprovedGateMovesOnWithoutAFreshGoButNeverOnABreach() {
        var approved = ScheduleProgress(fingerprint: schedule.fingerprint, step: 0, enteredAt: start)
        approved.awaitingApprovalSince = start.addingTimeInterval(600)
        approved.approvedBy = "token"
        #expect(evaluate(at: 700, approved, windows: Self.quiet).effectivePercent == 100, "traffic thinned after the approval: moves on")
        let failing = WindowPair(
            old: Self.healthy.old, new: .init(requests: 500, errors: 100, p50Ms: 5, p99Ms: 10, conversionStarts: 0, conversionDones: 0))
        #expect(evaluate(at: 700, approved, windows: failing).effectivePercent == 10, "a breach after the approval holds the gate")
    }

    @Test func addingAGateToARunningScheduleKeepsItsPosition() {
        let ungated = Schedule(start: start, steps: [.init(percent: 10, hold: .seconds(600)), .init(percent: 100, hold: nil)])
        #expect(ungated.fingerprint == schedule.fingerprint)
    }

    @Test func promoteChangesAndAbortLatches() {
        var state = PersistedState()
        state.schedule = ScheduleProgress(fingerprint: "f", step: 0, enteredAt: start)
        var approved = state.schedule!
        approved.approvedBy = "peer 127.0.0.1"
        let promoted = StateChange.promote(approved, replacing: state.schedule!, by: "peer 127.0.0.1", at: start).applied(to: state)
        #expect(promoted.schedule?.approvedBy == "peer 127.0.0.1")
        let aborted = StateChange.abort(by: "token", at: start).applied(to: promoted)
        #expect(aborted.latched && aborted.latchReason == "aborted" && aborted.latchedBy == "token")
        #expect(
            StateChange.abort(by: "token", at: start).isOperatorAction
                && StateChange.promote(approved, replacing: approved, by: "x", at: start).isOperatorAction)
        #expect(!StateChange.resume(by: "x", at: start).applied(to: aborted).latched, "resume clears an abort")
    }

    @Test func aStoredWaitSurvivesEncoding() throws {
        var progress = ScheduleProgress(fingerprint: "f", step: 0, enteredAt: start)
        progress.awaitingApprovalSince = start.addingTimeInterval(600.7)
        progress = progress.inWholeSeconds
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        let data = try encoder.encode(progress)
        #expect(String(decoding: data, as: UTF8.self).contains("awaiting_approval_since"))
        #expect(try decoder.decode(ScheduleProgress.self, from: data) == progress)
    }
}
