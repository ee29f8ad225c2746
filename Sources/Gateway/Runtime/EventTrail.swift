import Foundation
import GatewayCore
import Synchronization

/// The rollout's recent events as this replica saw them (kills, resumes, latches, breaches,
/// steps, approvals, promotions, aborts, rejected reloads; changes made on other replicas arrive
/// through the store), newest first: the console's audit trail and `/status` `events`. The
/// operational log keeps the full trail; this keeps the last `capacity`.
final class EventTrail: Sendable {
    struct Entry: Sendable, Equatable {
        var event: NotificationEvent
        var message: String
        var at: Date
    }

    static let capacity = 50
    private let entries = Mutex<[Entry]>([])

    func record(_ events: [RolloutEvents.Event], at time: Date = Date()) {
        guard !events.isEmpty else { return }
        entries.withLock { entries in
            entries.insert(contentsOf: events.reversed().map { Entry(event: $0.kind, message: $0.message, at: time) }, at: 0)
            if entries.count > Self.capacity { entries.removeLast(entries.count - Self.capacity) }
        }
    }

    var recent: [Entry] { entries.withLock { $0 } }
}
