import Foundation

/// The rollout state of this replica as a value state machine: what the store last said
/// (`stored`, at `revision`), the changes made here that the store has not confirmed yet
/// (`pending`, in order), and what is in effect (`effective`: the pending changes on top of the
/// stored state, so a kill takes effect on this replica at once, before any write).
///
/// Every transition returns the actions the shell runs after releasing its lock — commit,
/// audit, reset the windows, report a change — as async-http-client's connection pool does.
/// The machine never does I/O and never knows which store it has.
public struct RolloutStateMachine: Sendable {
    public enum Action: Sendable, Equatable {
        /// Hand the first pending change to the store (the shell commits them one at a time).
        case commit(StateChange)
        /// An operator action: one JSON audit line.
        case audit(StateChange)
        /// The latch was cleared: judge the guardrails on new traffic only.
        case resetWindows
        /// The state in effect changed (log it, publish gauges, rebuild the request snapshot).
        case changed(from: PersistedState, to: PersistedState)
    }

    public private(set) var stored = PersistedState()
    /// The store's revision of `stored` (etcd's; a file store counts its writes).
    public private(set) var revision: Int64 = 0
    /// The store has been read at least once. Until then a fleet replica serves everyone old
    /// (`state_unknown`): never undo a rollback by restarting.
    public private(set) var known: Bool
    public private(set) var pending: [StateChange] = []

    public init(known: Bool = false) {
        self.known = known
    }

    public var effective: PersistedState {
        pending.reduce(stored) { $1.applied(to: $0) }
    }

    /// A change made on this replica: in effect at once, committed by the store in order.
    public mutating func propose(_ change: StateChange) -> [Action] {
        let before = effective
        let wasIdle = pending.isEmpty
        pending.append(change)
        var actions: [Action] = []
        if wasIdle { actions.append(.commit(change)) }
        if change.isOperatorAction { actions.append(.audit(change)) }
        actions += consequences(from: before, to: effective)
        return actions
    }

    /// The store accepted the first pending change; `state` is the stored state that resulted
    /// (nil when the store only confirmed the write), at `revision`.
    public mutating func committed(state: PersistedState?, revision: Int64) -> [Action] {
        guard !pending.isEmpty else { return [] }
        let before = effective
        let change = pending.removeFirst()
        stored = state ?? change.applied(to: stored)
        self.revision = max(self.revision, revision)
        known = true
        var actions: [Action] = []
        if let next = pending.first { actions.append(.commit(next)) }
        actions += consequences(from: before, to: effective)
        return actions
    }

    /// The store refused the first pending change for good (another replica moved the schedule
    /// first): it is dropped; the ramp re-evaluates on what the store says.
    public mutating func superseded() -> [Action] {
        guard !pending.isEmpty else { return [] }
        let before = effective
        pending.removeFirst()
        var actions: [Action] = []
        if let next = pending.first { actions.append(.commit(next)) }
        actions += consequences(from: before, to: effective)
        return actions
    }

    /// The store's state as read (at start, after a watch event, after a re-list). Older
    /// revisions than one already seen are ignored.
    public mutating func observed(_ state: PersistedState, revision: Int64) -> [Action] {
        guard !known || revision >= self.revision else { return [] }
        let before = effective
        let wasKnown = known
        stored = state
        self.revision = revision
        known = true
        var actions = consequences(from: before, to: effective)
        if !wasKnown && actions.isEmpty { actions.append(.changed(from: before, to: effective)) }
        return actions
    }

    private func consequences(from before: PersistedState, to after: PersistedState) -> [Action] {
        guard before != after else { return [] }
        var actions: [Action] = [.changed(from: before, to: after)]
        if before.latched && !after.latched { actions.append(.resetWindows) }
        return actions
    }
}
