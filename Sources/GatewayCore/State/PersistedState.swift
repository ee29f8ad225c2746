import Foundation

/// The rollout's runtime state, what survives a restart (in `state_file`, or in etcd for a
/// fleet): the admin kill switch, the guardrail latch and the position of the schedule, each
/// with who set it and when (the audit trail).
public struct PersistedState: Codable, Sendable, Equatable {
    public var killed = false
    public var killedAt: Date?
    /// Who turned the kill switch on: `token`, a peer address, or `gateway` for the gateway itself.
    public var killedBy: String?
    /// Why the kill switch is on when it was not an operator's call (an unreadable state file).
    public var killReason: String?
    public var latched = false
    public var latchReason: String?
    public var latchedAt: Date?
    /// The replica (or `gateway`) whose judgement latched the rollback, or who aborted.
    public var latchedBy: String?
    public var schedule: ScheduleProgress?

    public init() {}

    enum CodingKeys: String, CodingKey {
        case killed
        case killedAt = "killed_at"
        case killedBy = "killed_by"
        case killReason = "kill_reason"
        case latched
        case latchReason = "latch_reason"
        case latchedAt = "latched_at"
        case latchedBy = "latched_by"
        case schedule
    }
}

/// Where a schedule is: which step, since when. `fingerprint` identifies the schedule it belongs
/// to, so an edited schedule starts afresh while an unchanged one resumes after a restart.
///
/// At a step with `approve: true`, the leader records when the step became ready to leave (hold
/// over, guardrails go) in `awaitingApprovalSince`; a `promote` records who approved. Both belong
/// to this step only: the next step starts with neither.
public struct ScheduleProgress: Codable, Sendable, Equatable {
    public var fingerprint: String
    public var step: Int
    public var enteredAt: Date
    public var awaitingApprovalSince: Date?
    public var approvedBy: String?
    public var approvedAt: Date?
    /// The last smoke test reported for this step (`checkout-gateway smoke --report`): shown
    /// next to the approval as one of its go/no-go criteria.
    public var smokePassed: Bool?
    public var smokeAt: Date?
    public var smokeSummary: String?

    public init(fingerprint: String, step: Int, enteredAt: Date) {
        self.fingerprint = fingerprint
        self.step = step
        self.enteredAt = enteredAt
    }

    public var isApproved: Bool { approvedBy != nil }

    /// The dates cut to whole seconds, as the stores keep them: a position compared with what a
    /// store holds (etcd's compare-and-set) must be equal to it byte for byte.
    public var inWholeSeconds: ScheduleProgress {
        func whole(_ date: Date) -> Date { Date(timeIntervalSince1970: date.timeIntervalSince1970.rounded(.down)) }
        var copy = self
        copy.enteredAt = whole(enteredAt)
        copy.awaitingApprovalSince = awaitingApprovalSince.map(whole)
        copy.approvedAt = approvedAt.map(whole)
        copy.smokeAt = smokeAt.map(whole)
        return copy
    }

    enum CodingKeys: String, CodingKey {
        case fingerprint, step
        case enteredAt = "entered_at"
        case awaitingApprovalSince = "awaiting_approval_since"
        case approvedBy = "approved_by"
        case approvedAt = "approved_at"
        case smokePassed = "smoke_passed"
        case smokeAt = "smoke_at"
        case smokeSummary = "smoke_summary"
    }
}
