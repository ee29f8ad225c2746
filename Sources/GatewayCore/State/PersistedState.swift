import Foundation

/// What survives a restart in `state_file`: the admin kill switch, the guardrail latch and the
/// position of the schedule.
public struct PersistedState: Codable, Sendable, Equatable {
    public var killed = false
    public var killedAt: Date?
    /// Why the kill switch is on when it was not an operator's call (an unreadable state file).
    public var killReason: String?
    public var latched = false
    public var latchReason: String?
    public var latchedAt: Date?
    public var schedule: ScheduleProgress?

    public init() {}

    enum CodingKeys: String, CodingKey {
        case killed
        case killedAt = "killed_at"
        case killReason = "kill_reason"
        case latched
        case latchReason = "latch_reason"
        case latchedAt = "latched_at"
        case schedule
    }
}

/// Where a schedule is: which step, since when. `fingerprint` identifies the schedule it belongs
/// to, so an edited schedule starts afresh while an unchanged one resumes after a restart.
public struct ScheduleProgress: Codable, Sendable, Equatable {
    public var fingerprint: String
    public var step: Int
    public var enteredAt: Date

    public init(fingerprint: String, step: Int, enteredAt: Date) {
        self.fingerprint = fingerprint
        self.step = step
        self.enteredAt = enteredAt
    }

    enum CodingKeys: String, CodingKey {
        case fingerprint, step
        case enteredAt = "entered_at"
    }
}
