/// The notification events in a change of the rollout state, with a message for people: what
/// happened and what it means for shoppers. Pure, so each rule is a unit test.
public enum RolloutEvents {
    public struct Event: Sendable, Equatable {
        public var kind: NotificationEvent
        public var message: String

        public init(kind: NotificationEvent, message: String) {
            self.kind = kind
            self.message = message
        }
    }

    /// The events from `before` to `after`; messages name no flag (the sender prefixes it).
    public static func between(_ before: PersistedState, _ after: PersistedState, schedule: Schedule?) -> [Event] {
        var events: [Event] = []
        if !before.killed && after.killed {
            let why = after.killReason.map { " (\($0))" } ?? ""
            events.append(Event(kind: .kill, message: "kill switch on by \(after.killedBy ?? "?")\(why): every shopper gets old"))
        }
        if !before.latched && after.latched {
            if after.latchReason == StateChange.abortReason {
                events.append(Event(kind: .abort, message: "aborted by \(after.latchedBy ?? "?"): every shopper gets old until resume"))
            } else {
                events.append(
                    Event(kind: .latch, message: "rolled back by the guardrails, every shopper gets old until resume: \(after.latchReason ?? "")"))
            }
        }
        if (before.killed && !after.killed) || (before.latched && !after.latched) {
            events.append(Event(kind: .resume, message: "resumed: the ramp is back in effect"))
        }
        if let progress = after.schedule, let schedule, progress.step < schedule.steps.count {
            let step = schedule.steps[progress.step]
            let name = "step \(progress.step + 1) of \(schedule.steps.count) (\(step.percent)%)"
            if before.schedule?.step != progress.step || before.schedule?.fingerprint != progress.fingerprint {
                events.append(Event(kind: .step, message: "\(name): \(step.percent)% of shoppers get new"))
            }
            if before.schedule?.awaitingApprovalSince == nil, progress.awaitingApprovalSince != nil, !progress.isApproved {
                events.append(
                    Event(kind: .approval, message: "\(name) waits for approval: hold over, guardrails go; `checkout-gateway promote` or `abort`"))
            }
            if before.schedule?.approvedBy == nil, let by = progress.approvedBy {
                events.append(Event(kind: .promote, message: "\(name) approved by \(by): the ramp moves on"))
            }
        }
        return events
    }
}
