import NIOCore

/// The single timer of a client connection: the head-read, body-read or idle deadline.
///
/// Moving a deadline later does not touch the scheduled task; when the task fires early it is
/// scheduled again for the real deadline. So a busy keep-alive connection costs no timer work
/// per request: only a deadline earlier than the scheduled task reschedules. A pure state
/// machine; the handler performs the scheduling it asks for.
struct ConnectionTimer {
    enum Kind: Equatable {
        case headRead
        case bodyRead
        case idle
    }

    enum Action {
        /// Nothing to do.
        case none
        /// Schedule a task at this time (cancelling the current one, if any).
        case schedule(NIODeadline)
        /// The deadline passed: act on it.
        case expire(Kind)
    }

    private(set) var deadline: (kind: Kind, at: NIODeadline)?
    private var scheduledAt: NIODeadline?

    var kind: Kind? { deadline?.kind }

    mutating func set(_ kind: Kind, at time: NIODeadline) -> Action {
        deadline = (kind, time)
        if let scheduledAt, scheduledAt <= time { return .none }
        scheduledAt = time
        return .schedule(time)
    }

    mutating func clear() {
        deadline = nil
    }

    /// The scheduled task ran at `now`.
    mutating func fired(now: NIODeadline) -> Action {
        scheduledAt = nil
        guard let deadline else { return .none }
        if now < deadline.at {
            scheduledAt = deadline.at
            return .schedule(deadline.at)
        }
        self.deadline = nil
        return .expire(deadline.kind)
    }
}
