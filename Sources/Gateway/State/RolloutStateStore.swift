import GatewayCore

/// Where the rollout state lives: `state_file` on one machine, etcd for a fleet. The runtime
/// holds a `RolloutStateMachine` and hands its pending changes to the store one at a time; it
/// never knows which store it has. Calls block: they run on the state threads, never on a
/// request path.
protocol RolloutStateStore: Sendable {
    /// `file` or `etcd`, for `/status` and logs.
    var kind: String { get }

    func read() -> StoreRead

    /// Commits one change made on top of `state` (the state the store last gave).
    func commit(_ change: StateChange, onto state: PersistedState) -> CommitOutcome
}

enum StoreRead: Sendable, Equatable {
    case state(PersistedState, revision: Int64)
    /// No state was ever written (a first start).
    case fresh
    /// A state exists and cannot be read (a damaged file): it may have held a kill.
    case unreadable(String)
    /// The store cannot be reached now (etcd down); try again.
    case unreachable(String)
}

enum CommitOutcome: Sendable, Equatable {
    /// Written; the resulting state when the store knows it, and its revision.
    case committed(PersistedState?, revision: Int64)
    /// Refused for good: another replica changed the same thing first.
    case superseded
    /// Not written (the store is unreachable); retry later.
    case failed(String)
}
