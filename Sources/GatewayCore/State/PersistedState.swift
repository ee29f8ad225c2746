import Foundation

/// What survives a restart in `state_file`: the admin kill switch and the guardrail latch.
public struct PersistedState: Codable, Sendable, Equatable {
    public var killed = false
    public var killedAt: Date?
    public var latched = false
    public var latchReason: String?
    public var latchedAt: Date?

    public init() {}

    enum CodingKeys: String, CodingKey {
        case killed
        case killedAt = "killed_at"
        case latched
        case latchReason = "latch_reason"
        case latchedAt = "latched_at"
    }
}
