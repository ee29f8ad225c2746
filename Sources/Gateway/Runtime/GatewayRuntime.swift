import Foundation
import GatewayCore
import Logging
import NIOConcurrencyHelpers
import Synchronization

/// The live state every connection reads at the start of a request — the active config and the
/// flag's runtime state — and the operations that change it: reload, kill, resume, the ramp,
/// drain.
///
/// Lock, mutate, then act: every change happens to one `State` value in one critical section
/// that returns the actions to run afterwards (commit to the store, audit, log, gauges), and
/// nothing slow ever runs under the lock.
final class GatewayRuntime: Sendable {
    struct Snapshot: Sendable {
        var active: ActiveConfig
        var flagState: FlagState
        /// The share of shoppers served by old whose safe requests are mirrored to new: `shadow.percent`,
        /// or (without a `shadow` section) 100 during a `shadow: true` step of the schedule.
        var shadowPercent: Int = 0
    }

    struct ConfigInfo: Sendable {
        var path: String?
        var sha256: String
        var loadedAt: Date
        /// The rejected file's errors, until a valid file arrives.
        var lastError: String?
    }

    /// The ramp's view for `/status`: the last guardrail verdict and when the step may advance.
    struct RampView: Sendable {
        var verdict: GuardrailVerdict = .noVerdict
        var nextStepAt: Date?
        var effectivePercent: Int
        /// The windows the verdict was judged on (the fleet's sum on an etcd leader).
        var judged: WindowPair?
        /// The `guardrails.prometheus` checks' own verdict at that evaluation.
        var checks: PrometheusJudge.Verdict?
    }

    /// The fleet as this replica sees it (etcd); for a file store, one replica that leads.
    struct FleetView: Sendable {
        var storeUp = true
        var leader: String?
        var isLeader = false
        var replicas: [String: ReplicaRecord] = [:]
        var revision: Int64 = 0
    }

    struct State {
        var snapshot: Snapshot
        var machine: RolloutStateMachine
        var ramp: RampView
        var info: ConfigInfo
        /// The stamp of the last file looked at, valid or not, so an unchanged file is not read
        /// again and a rejected one is not re-logged every second.
        var lastSeenStamp: FileStamp?
        var draining = false
        var fleet = FleetView()
        /// The rollout state lives in etcd (fixed at start, like the store): a replica that has
        /// never read it serves everyone old.
        let usesEtcd: Bool
        /// Changes proposed and changes the store settled (committed or superseded), counted, so
        /// an admin call can wait for its own change to be written.
        var proposals = 0
        var settled = 0
        var waiters: [(sequence: Int, id: Int, continuation: CheckedContinuation<Bool, Never>)] = []
        var nextWaiterID = 0
    }

    let recorder: TrafficRecorder
    let environment: [String: String]
    let logger: Logger
    /// nil when the process has no access log at all; `access_log: false` silences it per config.
    let accessLog: AccessLog?
    let startedAt = Date()
    /// This replica's name in the fleet and in the audit trail of the ramp's own actions.
    let replicaID: String
    let store: any RolloutStateStore
    let box: NIOLockedValueBox<State>
    /// Bumped, under `box`'s lock, every time `State.snapshot` is replaced: a worker reads this
    /// one atomic per request and takes the lock only when it changed (`snapshot(newerThan:)`).
    let snapshotVersion = Atomic<UInt64>(1)
    /// Open client connections of the public listener, against `limits.max_connections`.
    let connections: ConnectionCount
    /// Sends the rollout's events to `notify` webhooks, off every request and ramp path.
    let notifier: Notifier
    /// Signs and checks checkout pins (`gw_pin`) with `GATEWAY_PIN_KEY`, else a key of this process.
    let pins: CheckoutPins
    /// OpenTelemetry tracing of requests, when configured at start (`tracing`, `OTEL_*`).
    let tracer: RequestTracer?
    /// The recent rollout events, for the console and `/status`.
    let trail = EventTrail()
    /// Asks Prometheus the `guardrails.prometheus` queries (a thread of its own).
    let prometheus = PrometheusPoller()
    /// Idempotency keys of completed orders lately: a retried order is one conversion.
    let conversionKeys = ConversionKeys()
    /// With etcd: asks the fleet whether another replica counted an order already.
    let orderKeys: FleetOrderKeys?
    /// Serialises reloads: polling, SIGHUP and the admin endpoint may ask at the same moment.
    private let reloadLock = NIOLock()
    let committer = StateCommitter()

    init(
        config: GatewayConfig, configPath: String?, sourceSHA: String, sourceStamp: FileStamp?, environment: [String: String], logger: Logger,
        accessLog: AccessLog?
    ) {
        self.environment = environment
        self.logger = logger
        self.accessLog = accessLog
        self.connections = ConnectionCount(maximum: config.limits.maxConnections)
        self.recorder = TrafficRecorder(metrics: GatewayMetrics(), window: config.guardrails?.window ?? Guardrails().window)
        self.replicaID = "\(ProcessInfo.processInfo.hostName)-\(getpid())"
        self.notifier = Notifier(metrics: recorder.metrics, logger: logger)
        if let key = environment[CheckoutPins.keyEnvironment], !key.isEmpty {
            self.pins = CheckoutPins(key: Array(key.utf8))
        } else {
            self.pins = CheckoutPins(key: CheckoutPins.randomKey())
            logger.notice(
                "\(CheckoutPins.keyEnvironment) is not set: checkout pins are signed with a random key of this process, so a restart or another replica does not honour them; set it (the same on every replica) to keep shoppers on new across both"
            )
        }
        if let etcd = config.etcd {
            let etcdStore = EtcdStateStore(config: etcd, flagKey: config.flag.key, environment: environment)
            store = etcdStore
            orderKeys = FleetOrderKeys(client: etcdStore.client, prefix: etcd.prefix, flagKey: config.flag.key, logger: logger)
        } else {
            store = FileStateStore(path: config.stateFile)
            orderKeys = nil
        }
        do {
            tracer = try RequestTracer.make(config: config.tracing, environment: environment, logger: logger)
        } catch {
            // The checkouts matter more than their traces: serve untraced, and say why.
            logger.error("tracing is off: its configuration was refused", metadata: ["error": "\(error)"])
            tracer = nil
        }
        let active = ActiveConfig(config: config, environment: environment, pins: pins, tracing: tracer != nil)
        let info = ConfigInfo(path: configPath, sha256: sourceSHA, loadedAt: Date(), lastError: nil)
        let ramp = RampView(effectivePercent: config.flag.percent)
        let machine = RolloutStateMachine(known: false)
        box = NIOLockedValueBox(
            State(
                snapshot: Self.snapshot(active: active, machine: machine, percent: ramp.effectivePercent, etcd: config.etcd != nil), machine: machine,
                ramp: ramp, info: info, lastSeenStamp: sourceStamp, usesEtcd: config.etcd != nil
            ))
        recorder.metrics.reloaded(ok: true, at: Date().timeIntervalSince1970)
        recorder.metrics.configLoaded(sha256: sourceSHA)
        committer.start { [weak self] in self?.commitNext() ?? .idle }
        if store is FileStateStore { startFromFile() }
        publishGauges()
    }

    func snapshot() -> Snapshot {
        box.withLockedValue { $0.snapshot }
    }

    /// The snapshot and its version when it is newer than `version`; one atomic load otherwise.
    func snapshot(newerThan version: UInt64) -> (Snapshot, UInt64)? {
        guard snapshotVersion.load(ordering: .acquiring) != version else { return nil }
        return box.withLockedValue { ($0.snapshot, snapshotVersion.load(ordering: .relaxed)) }
    }

    /// Replaces the request snapshot; called with `box` locked.
    func publish(_ snapshot: Snapshot, in state: inout State) {
        state.snapshot = snapshot
        snapshotVersion.wrappingAdd(1, ordering: .releasing)
    }

    var configInfo: ConfigInfo { box.withLockedValue { $0.info } }
    /// The rollout state in effect on this replica.
    var persisted: PersistedState { box.withLockedValue { $0.machine.effective } }
    var rampView: RampView { box.withLockedValue { $0.ramp } }
    var fleetView: FleetView { box.withLockedValue { $0.fleet } }
    var isDraining: Bool { box.withLockedValue { $0.draining } }

    func beginDraining() {
        box.withLockedValue { $0.draining = true }
    }

    // MARK: - Reload

    enum ReloadOutcome: Sendable, Equatable {
        case unchanged
        case applied
        case rejected(String)
    }

    /// Reads the config file again. `force` reloads an unchanged file too (SIGHUP, admin).
    @discardableResult
    func reload(force: Bool) -> ReloadOutcome {
        reloadLock.withLock { reloadLocked(force: force) }
    }

    private func reloadLocked(force: Bool) -> ReloadOutcome {
        guard let path = configInfo.path else { return .unchanged }
        let stamp = FileStamp(path: path)
        let stampChanged = box.withLockedValue { state -> Bool in
            defer { state.lastSeenStamp = stamp }
            return stamp == nil || state.lastSeenStamp != stamp
        }
        if !stampChanged && !force { return .unchanged }

        let loaded: LoadedConfig
        do {
            loaded = try ConfigLoader.read(path: path)
        } catch {
            let repeated = box.withLockedValue { state -> Bool in
                defer { state.info.lastError = error.description }
                return state.info.lastError == error.description
            }
            // A file that stays unreadable is reported once, not every second.
            if repeated && !force { return .rejected(error.description) }
            recorder.metrics.reloaded(ok: false, at: Date().timeIntervalSince1970)
            logger.error("config rejected; the previous config keeps serving", metadata: ["errors": "\(error.description)"])
            let first = error.lines.first ?? error.description
            notify([RolloutEvents.Event(kind: .reloadRejected, message: "config reload rejected, the running config keeps serving: \(first)")])
            return .rejected(error.description)
        }
        let (sha, config) = (loaded.sha256, loaded.config)
        let unchanged = box.withLockedValue { $0.info.sha256 == sha && $0.info.lastError == nil }
        if unchanged && !force { return .unchanged }

        // Built outside the lock (it may start client threads); only reloads replace the active
        // config and they are serialised by `reloadLock`, so `previous` is still current below.
        let previous = snapshot().active
        let successor = ActiveConfig(config: config, environment: environment, pins: pins, tracing: tracer != nil)
        box.withLockedValue { state in
            // The new config's percent at once (its schedule step, or flag.percent), not the
            // previous config's until the next ramp evaluation.
            state.ramp.effectivePercent = RampController.percentInEffect(
                schedule: config.schedule, configuredPercent: config.flag.percent, progress: state.machine.effective.schedule, now: Date()
            )
            publish(
                Self.snapshot(active: successor, machine: state.machine, percent: state.ramp.effectivePercent, etcd: state.usesEtcd),
                in: &state)
            state.info = ConfigInfo(path: path, sha256: sha, loadedAt: Date(), lastError: nil)
        }
        recorder.resize(window: config.guardrails?.window ?? Guardrails().window)
        recorder.metrics.reloaded(ok: true, at: Date().timeIntervalSince1970)
        recorder.metrics.configLoaded(sha256: sha)
        if store is FileStateStore { superviseRamp(windows: localWindows(), leading: true) }
        warnAboutRestartOnlySettings(old: previous.config, new: config)
        logger.notice(
            "config reloaded",
            metadata: [
                "sha256": "\(sha)", "enabled": "\(config.flag.enabled)", "percent": "\(config.flag.percent)",
            ])
        return .applied
    }

    private func warnAboutRestartOnlySettings(old: GatewayConfig, new: GatewayConfig) {
        var changed: [String] = []
        if old.listen != new.listen { changed.append("listen") }
        if old.admin.listen != new.admin.listen { changed.append("admin.listen") }
        if old.limits.maxConnections != new.limits.maxConnections { changed.append("limits.max_connections") }
        if old.stateFile != new.stateFile { changed.append("state_file") }
        if old.etcd != new.etcd { changed.append("state") }
        if old.tracing != new.tracing { changed.append("tracing") }
        if !changed.isEmpty {
            logger.warning(
                "changed settings take effect only after a restart; the old values stay in force",
                metadata: ["settings": "\(changed.joined(separator: ", "))"])
        }
    }

    // MARK: - Derived state

    /// The request snapshot for a machine state. With etcd, a replica that has never read the
    /// state serves everyone old (`state_unknown`).
    static func snapshot(active: ActiveConfig, machine: RolloutStateMachine, percent: Int, etcd: Bool) -> Snapshot {
        let state = machine.effective
        let config = active.config
        var inShadowStep = false
        if let schedule = config.schedule, let progress = state.schedule, progress.fingerprint == schedule.fingerprint,
            progress.step < schedule.steps.count
        {
            inShadowStep = schedule.steps[progress.step].shadow
        }
        return Snapshot(
            active: active,
            flagState: FlagState(killed: state.killed, latched: state.latched, effectivePercent: percent, unknown: etcd && !machine.known),
            shadowPercent: config.shadow?.percent ?? (inShadowStep ? 100 : 0)
        )
    }

    /// The file store's only replica, or the etcd ramp leader: the one that judges and notifies.
    var speaksForFleet: Bool {
        box.withLockedValue { !$0.usesEtcd || $0.fleet.isLeader }
    }

    /// Records `events` in the trail, and sends them to the config's webhooks if this replica
    /// speaks for the fleet (so a fleet sends each event once).
    func notify(_ events: [RolloutEvents.Event]) {
        guard !events.isEmpty else { return }
        trail.record(events)
        guard speaksForFleet else { return }
        let config = snapshot().active.config
        guard !config.notify.isEmpty else { return }
        for event in events {
            var event = event
            event.message = "\(config.flag.key): \(event.message)"
            notifier.send(event, flag: config.flag.key, replica: replicaID, targets: config.notify)
        }
    }

    func publishGauges() {
        let (snapshot, fleet, usesEtcd) = box.withLockedValue { ($0.snapshot, $0.fleet, $0.usesEtcd) }
        let state = snapshot.flagState
        recorder.metrics.publishFlag(
            effectivePercent: state.killed || state.latched || state.unknown || !snapshot.active.config.flag.enabled ? 0 : state.effectivePercent,
            enabled: snapshot.active.config.flag.enabled && !state.killed,
            latched: state.latched
        )
        // A file store's only replica leads (as `speaksForFleet` says).
        recorder.metrics.publishStore(up: fleet.storeUp, leader: !usesEtcd || fleet.isLeader)
    }

    /// Writes the rollout changes still pending (a ramp step, a latch). Blocks up to a few
    /// seconds: call it off the cooperative pool.
    func shutdown() {
        committer.stop(within: .seconds(3))
    }
}
