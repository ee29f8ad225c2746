import Foundation
import GatewayCore
import Testing

/// The rollout state machine: transitions return actions, the pending changes are in effect at
/// once and committed in order, and nothing a store says can undo a change not yet written.
@Suite("Rollout state machine")
struct RolloutStateMachineTests {
    let t0 = Date(timeIntervalSince1970: 1_800_000_000)

    @Test func aKillIsInEffectAtOnceCommittedAndAudited() {
        var machine = RolloutStateMachine(known: true)
        let kill = StateChange.kill(by: "token", at: t0, reason: nil)
        let actions = machine.propose(kill)
        #expect(actions.first == .commit(kill))
        #expect(actions.contains(.audit(kill)))
        #expect(actions.contains { if case .changed(let before, let after) = $0 { !before.killed && after.killed } else { false } })
        #expect(machine.effective.killed && machine.effective.killedBy == "token")
        #expect(!machine.stored.killed, "not written yet")

        #expect(machine.committed(state: nil, revision: 7).isEmpty, "the effective state did not change")
        #expect(machine.stored.killed && machine.pending.isEmpty && machine.revision == 7)
    }

    @Test func changesAreCommittedOneAtATimeInOrder() {
        var machine = RolloutStateMachine(known: true)
        let kill = StateChange.kill(by: "a", at: t0, reason: nil)
        let resume = StateChange.resume(by: "b", at: t0.addingTimeInterval(1))
        #expect(machine.propose(kill).first == .commit(kill))
        #expect(!machine.propose(resume).contains(.commit(resume)), "the kill is still being written")
        #expect(!machine.effective.killed)
        let afterKill = machine.committed(state: nil, revision: 2)
        #expect(afterKill.first == .commit(resume), "the resume goes next")
        _ = machine.committed(state: nil, revision: 3)
        #expect(!machine.stored.killed && machine.pending.isEmpty)
    }

    /// A watch event that predates this replica's kill cannot undo it: pending changes stay on top.
    @Test func whatTheStoreSaysDoesNotUndoAPendingChange() {
        var machine = RolloutStateMachine(known: true)
        _ = machine.propose(.kill(by: "a", at: t0, reason: nil))
        _ = machine.observed(PersistedState(), revision: 5)
        #expect(machine.effective.killed)
    }

    @Test func olderRevisionsAreIgnored() {
        var machine = RolloutStateMachine()
        var killed = PersistedState()
        killed.killed = true
        _ = machine.observed(killed, revision: 10)
        #expect(machine.observed(PersistedState(), revision: 9).isEmpty)
        #expect(machine.effective.killed)
    }

    @Test func theFirstReadMakesTheStateKnownAndIsReported() {
        var machine = RolloutStateMachine()
        #expect(!machine.known)
        let actions = machine.observed(PersistedState(), revision: 1)
        #expect(machine.known)
        #expect(actions.count == 1, "reported even though nothing is set: the replica leaves state_unknown")
    }

    @Test func clearingTheLatchResetsTheWindows() {
        var machine = RolloutStateMachine(known: true)
        _ = machine.propose(.latch(reason: "error rate", by: "leader", at: t0))
        _ = machine.committed(state: nil, revision: 2)
        var cleared = PersistedState()
        cleared.latched = false
        let actions = machine.observed(cleared, revision: 3)
        #expect(actions.contains(.resetWindows))
    }

    @Test func aSupersededScheduleStepIsDropped() {
        var machine = RolloutStateMachine(known: true)
        let step = ScheduleProgress(fingerprint: "f", step: 1, enteredAt: t0)
        _ = machine.propose(.schedule(step, replacing: nil))
        #expect(machine.effective.schedule == step)
        _ = machine.superseded()
        #expect(machine.effective.schedule == nil && machine.pending.isEmpty)
    }

    @Test func killAndLatchAreIdempotentAndResumeClearsBoth() {
        var state = StateChange.kill(by: "a", at: t0, reason: nil).applied(to: PersistedState())
        state = StateChange.kill(by: "b", at: t0.addingTimeInterval(5), reason: nil).applied(to: state)
        #expect(state.killedBy == "a", "the first kill is the one on record")
        state = StateChange.latch(reason: "r", by: "leader", at: t0).applied(to: state)
        state = StateChange.resume(by: "c", at: t0).applied(to: state)
        #expect(!state.killed && !state.latched && state.killedBy == nil && state.latchReason == nil)
    }
}

@Suite("Fleet windows and the percent of a non-leader")
struct FleetWindowTests {
    @Test func windowCountsAddUpAcrossReplicas() {
        var one = SlidingWindow(window: .seconds(60))
        var two = SlidingWindow(window: .seconds(60))
        let now: UInt64 = 1_000_000_000_000
        for _ in 0..<98 { one.record(at: now, latencyMs: 4, isError: false) }
        one.record(at: now, latencyMs: 4, isError: true)
        two.record(at: now, latencyMs: 900, isError: true)
        let merged = WindowCountsPair.sum([WindowCountsPair(new: one.counts(at: now)), WindowCountsPair(new: two.counts(at: now))])
        let summary = merged.new.summary
        #expect(summary.requests == 100 && summary.errors == 2)
        #expect(summary.p50Ms == 5)
        #expect(summary.p99Ms == 5, "99 of 100 samples are at most 5 ms")
        #expect(merged.summaries.old.requests == 0)
    }

    @Test func windowCountsSurviveJSON() throws {
        var window = SlidingWindow(window: .seconds(60))
        window.record(at: 5_000_000_000, latencyMs: 12, isError: true)
        window.recordConversion(at: 5_000_000_000, stage: .start)
        let counts = window.counts(at: 5_000_000_000)
        let decoded = try JSONDecoder().decode(WindowCounts.self, from: JSONEncoder().encode(counts))
        #expect(decoded == counts)
        #expect(decoded.conversionStarts == 1)
    }

    @Test func aNonLeaderUsesTheStoredStepAndNeverAdvances() throws {
        let start = Date(timeIntervalSince1970: 1_800_000_000)
        let schedule = Schedule(start: start, steps: [Schedule.Step(percent: 10, hold: .seconds(60)), Schedule.Step(percent: 50, hold: nil)])
        let later = start.addingTimeInterval(3_600)
        #expect(RampController.percentInEffect(schedule: nil, configuredPercent: 30, progress: nil, now: later) == 30)
        #expect(RampController.percentInEffect(schedule: schedule, configuredPercent: 30, progress: nil, now: start.addingTimeInterval(-1)) == 0)
        #expect(RampController.percentInEffect(schedule: schedule, configuredPercent: 30, progress: nil, now: later) == 10)
        let first = ScheduleProgress(fingerprint: schedule.fingerprint, step: 0, enteredAt: start)
        #expect(
            RampController.percentInEffect(schedule: schedule, configuredPercent: 30, progress: first, now: later) == 10,
            "the hold is long over, but only the leader advances")
        let second = ScheduleProgress(fingerprint: schedule.fingerprint, step: 1, enteredAt: later)
        #expect(RampController.percentInEffect(schedule: schedule, configuredPercent: 30, progress: second, now: later) == 50)
    }
}
