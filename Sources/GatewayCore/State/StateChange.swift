import Foundation

/// One change to the rollout state, as a store commits it: the file store rewrites the whole
/// state, the etcd store turns each into a transaction on its own key (compare on revision,
/// never read-modify-write).
public enum StateChange: Sendable, Equatable {
    /// Everyone to old, now.
    case kill(by: String, at: Date, reason: String?)
    /// Kill switch off and rollback latch cleared.
    case resume(by: String, at: Date)
    /// A guardrail breach rolled the ramp back; kept until a resume.
    case latch(reason: String, by: String, at: Date)
    /// The schedule advanced (or started); `replacing` is the position it was computed from, so
    /// a store can refuse it when another replica moved the schedule in between.
    case schedule(ScheduleProgress, replacing: ScheduleProgress?)
    /// An operator approved leaving the step that waits for approval: `approved` is `replacing`
    /// with who and when, refused by a store whose schedule moved meanwhile.
    case promote(ScheduleProgress, replacing: ScheduleProgress, by: String, at: Date)
    /// An operator stopped the rollout: the rollback latch with reason `aborted`, until a resume.
    case abort(by: String, at: Date)

    /// The state after this change.
    public func applied(to state: PersistedState) -> PersistedState {
        var state = state
        switch self {
        case .kill(let by, let at, let reason):
            guard !state.killed else { return state }
            state.killed = true
            state.killedAt = at
            state.killedBy = by
            state.killReason = reason
        case .resume:
            state.killed = false
            state.killedAt = nil
            state.killedBy = nil
            state.killReason = nil
            state.latched = false
            state.latchReason = nil
            state.latchedAt = nil
            state.latchedBy = nil
        case .latch(let reason, let by, let at):
            guard !state.latched else { return state }
            state.latched = true
            state.latchReason = reason
            state.latchedAt = at
            state.latchedBy = by
        case .schedule(let progress, _), .promote(let progress, _, _, _):
            state.schedule = progress
        case .abort(let by, let at):
            return StateChange.latch(reason: Self.abortReason, by: by, at: at).applied(to: state)
        }
        return state
    }

    /// Operator actions go to the audit log; the ramp's own steps are logged as ramp events.
    public var isOperatorAction: Bool {
        switch self {
        case .kill, .resume, .promote, .abort: true
        case .latch, .schedule: false
        }
    }

    /// The name of the change in logs and the audit trail.
    public var name: String {
        switch self {
        case .kill: "kill"
        case .resume: "resume"
        case .latch: "latch"
        case .schedule: "step"
        case .promote: "promote"
        case .abort: "abort"
        }
    }

    /// The latch reason an abort records.
    public static let abortReason = "aborted"

}
