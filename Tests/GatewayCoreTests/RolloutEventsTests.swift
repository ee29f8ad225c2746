import Foundation
import GatewayCore
import Testing

/// Which notification events a change of the rollout state is (pure).
@Suite("Rollout events for notifications", .timeLimit(.minutes(1)))
struct RolloutEventsTests {
    let now = Date(timeIntervalSince1970: 1_800_000_000)
    var schedule: Schedule {
        Schedule(start: now, steps: [.init(percent: 10, hold: .seconds(60), approve: true), .init(percent: 100, hold: nil)])
    }

    private func kinds(_ before: PersistedState, _ after: PersistedState) -> [NotificationEvent] {
        RolloutEvents.between(before, after, schedule: schedule).map(\.kind)
    }

    @Test func operatorAndGuardrailChanges() {
        let idle = PersistedState()
        let killed = StateChange.kill(by: "token", at: now, reason: nil).applied(to: idle)
        #expect(kinds(idle, killed) == [.kill])
        #expect(kinds(killed, StateChange.resume(by: "token", at: now).applied(to: killed)) == [.resume])
        let latched = StateChange.latch(reason: "error rate on new 9% > 2%", by: "vm-1", at: now).applied(to: idle)
        #expect(kinds(idle, latched) == [.latch])
        #expect(RolloutEvents.between(idle, latched, schedule: nil).first?.message.contains("error rate on new 9% > 2%") == true)
        #expect(kinds(idle, StateChange.abort(by: "token", at: now).applied(to: idle)) == [.abort], "an abort is not a guardrail latch")
        #expect(kinds(killed, killed).isEmpty)
    }

    @Test func scheduleSteppingWaitingAndApproval() {
        let entered = ScheduleProgress(fingerprint: schedule.fingerprint, step: 0, enteredAt: now)
        var before = PersistedState()
        var after = before
        after.schedule = entered
        #expect(kinds(before, after) == [.step])
        before = after
        after.schedule?.awaitingApprovalSince = now.addingTimeInterval(60)
        #expect(kinds(before, after) == [.approval])
        before = after
        after.schedule?.approvedBy = "token"
        #expect(kinds(before, after) == [.promote])
        before = after
        after.schedule = ScheduleProgress(fingerprint: schedule.fingerprint, step: 1, enteredAt: now.addingTimeInterval(90))
        #expect(kinds(before, after) == [.step])
        #expect(RolloutEvents.between(before, after, schedule: schedule).first?.message == "step 2 of 2 (100%): 100% of shoppers get new")
    }
}
