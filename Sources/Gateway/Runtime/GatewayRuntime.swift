import Foundation
import GatewayCore
import Logging
import NIOConcurrencyHelpers

/// The live state every connection reads at the start of a request — the active config and the
/// flag's runtime state — and the operations that change it: reload, kill, resume, drain.
/// Changes happen under the lock; side effects (logs, files, metrics) after it.
final class GatewayRuntime: Sendable {
    struct Snapshot: Sendable {
        var active: ActiveConfig
        var flagState: FlagState
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
    }

    private struct State {
        var snapshot: Snapshot
        var persisted: PersistedState
        var ramp: RampView
        var info: ConfigInfo
        /// The stamp of the last file looked at, valid or not, so an unchanged file is not read
        /// again and a rejected one is not re-logged every second.
        var lastSeenStamp: FileStamp?
        var draining = false
    }

    let recorder: TrafficRecorder
    let environment: [String: String]
    let logger: Logger
    /// nil when the process has no access log at all; `access_log: false` silences it per config.
    let accessLog: AccessLog?
    let startedAt = Date()
    private let stateStore: StateStore
    private let box: NIOLockedValueBox<State>
    /// Serialises reloads: polling, SIGHUP and the admin endpoint may ask at the same moment.
    private let reloadLock = NIOLock()

    init(
        config: GatewayConfig, configPath: String?, sourceSHA: String, sourceStamp: FileStamp?, environment: [String: String], logger: Logger,
        accessLog: AccessLog?
    ) {
        self.environment = environment
        self.logger = logger
        self.accessLog = accessLog
        self.recorder = TrafficRecorder(metrics: GatewayMetrics(), window: config.guardrails?.window ?? Guardrails().window)
        self.stateStore = StateStore(path: config.stateFile)
        let persisted = Self.startingState(from: stateStore, logger: logger)
        let active = ActiveConfig(config: config, environment: environment)
        let info = ConfigInfo(path: configPath, sha256: sourceSHA, loadedAt: Date(), lastError: nil)
        let ramp = RampView(effectivePercent: config.flag.percent)
        box = NIOLockedValueBox(State(
            snapshot: Self.snapshot(active: active, persisted: persisted, percent: ramp.effectivePercent), persisted: persisted, ramp: ramp,
            info: info, lastSeenStamp: sourceStamp
        ))
        recorder.metrics.reloaded(ok: true, at: Date().timeIntervalSince1970)
        publishGauges()
        if persisted.killed && persisted.killReason == nil {
            logger.warning("kill switch is on (from the state file): every request goes to old")
        }
        if persisted.latched {
            logger.error("rollback latch is set (from the state file): every request goes to old until POST /admin/resume",
                         metadata: ["reason": "\(persisted.latchReason ?? "")"])
        }
        superviseRamp()
    }

    /// The state to start from. An existing state file that cannot be read may have held a kill
    /// or a rollback latch, so it never means "nothing was killed": the gateway starts killed,
    /// says why, moves the bad file aside and writes the kill down, so a restart stays killed
    /// until an operator resumes.
    private static func startingState(from store: StateStore, logger: Logger) -> PersistedState {
        switch store.load() {
        case .fresh:
            return PersistedState()
        case .loaded(let state):
            return state
        case .unreadable(let reason):
            var state = PersistedState()
            state.killed = true
            state.killedAt = Date()
            state.killReason = "state_file unreadable at start: \(reason)"
            let aside = store.quarantine()
            logger.critical(
                "state file unreadable: starting KILLED (every request goes to old) because it may have held a kill or a rollback; check it, then POST /admin/resume",
                metadata: ["state_file": "\(store.path)", "reason": "\(reason)", "moved_to": "\(aside ?? "(could not be moved)")"]
            )
            do {
                try store.save(state)
            } catch {
                logger.error("state file could not be written; the kill holds in memory only", metadata: ["error": "\(error)"])
            }
            return state
        }
    }

    func snapshot() -> Snapshot {
        box.withLockedValue { $0.snapshot }
    }

    var configInfo: ConfigInfo { box.withLockedValue { $0.info } }
    var persisted: PersistedState { box.withLockedValue { $0.persisted } }
    var rampView: RampView { box.withLockedValue { $0.ramp } }
    var isDraining: Bool { box.withLockedValue { $0.draining } }

    func beginDraining() {
        box.withLockedValue { $0.draining = true }
    }

    // MARK: - Kill switch

    /// Everyone old from the next request on; kept in `state_file`.
    func kill() throws {
        try changePersisted { state in
            guard !state.killed else { return }
            state.killed = true
            state.killedAt = Date()
        }
        logger.warning("kill switch on: every request goes to old")
    }

    /// Kill switch off and guardrail latch cleared; the guardrail windows start afresh so the
    /// traffic that caused a rollback does not trigger it again.
    func resume() throws {
        try changePersisted { state in
            state.killed = false
            state.killedAt = nil
            state.killReason = nil
            state.latched = false
            state.latchReason = nil
            state.latchedAt = nil
        }
        recorder.resetWindows()
        logger.notice("resumed: kill switch off, rollback latch cleared")
    }

    private func changePersisted(_ change: (inout PersistedState) -> Void) throws {
        let persisted = box.withLockedValue { state in
            change(&state.persisted)
            state.snapshot = Self.snapshot(active: state.snapshot.active, persisted: state.persisted, percent: state.ramp.effectivePercent)
            return state.persisted
        }
        publishGauges()
        try stateStore.save(persisted)
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
            return .rejected(error.description)
        }
        let (sha, config) = (loaded.sha256, loaded.config)
        let unchanged = box.withLockedValue { $0.info.sha256 == sha && $0.info.lastError == nil }
        if unchanged && !force { return .unchanged }

        // Built outside the lock (it may start client threads); only reloads replace the active
        // config and they are serialised by `reloadLock`, so `previous` is still current below.
        let previous = snapshot().active
        let successor = ActiveConfig(config: config, environment: environment, reusing: previous)
        box.withLockedValue { state in
            state.snapshot = Self.snapshot(active: successor, persisted: state.persisted, percent: state.ramp.effectivePercent)
            state.info = ConfigInfo(path: path, sha256: sha, loadedAt: Date(), lastError: nil)
        }
        recorder.resize(window: config.guardrails?.window ?? Guardrails().window)
        recorder.metrics.reloaded(ok: true, at: Date().timeIntervalSince1970)
        superviseRamp()
        warnAboutRestartOnlySettings(old: previous.config, new: config)
        logger.notice("config reloaded", metadata: [
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
        if !changed.isEmpty {
            logger.warning("changed settings take effect only after a restart; the old values stay in force",
                           metadata: ["settings": "\(changed.joined(separator: ", "))"])
        }
    }

    // MARK: - Ramp and guardrails

    /// Evaluates the schedule and the guardrails now: the percent in effect, a step forward, a
    /// rollback latch. Runs every second from `GatewayService`, and after every reload.
    func superviseRamp(now: Date = Date()) {
        let windows = recorder.summaries()
        let pair = WindowPair(old: windows[.old]!, new: windows[.new]!)
        // Evaluated and applied under one lock, so a reload cannot slip in between.
        let (decision, before, config, persisted, persistNeeded) = box.withLockedValue { state in
            let config = state.snapshot.active.config
            let decision = RampController.evaluate(RampController.Input(
                schedule: config.schedule, guardrails: config.guardrails, configuredPercent: config.flag.percent,
                progress: state.persisted.schedule, latched: state.persisted.latched, windows: pair, now: now
            ))
            let before = state.ramp
            var persistNeeded = false
            if let reason = decision.latchReason, !state.persisted.latched {
                state.persisted.latched = true
                state.persisted.latchReason = reason
                state.persisted.latchedAt = now
                persistNeeded = true
            }
            if state.persisted.schedule != decision.progress {
                state.persisted.schedule = decision.progress
                persistNeeded = true
            }
            state.ramp = RampView(verdict: decision.verdict, nextStepAt: decision.nextStepAt, effectivePercent: decision.effectivePercent)
            state.snapshot = Self.snapshot(active: state.snapshot.active, persisted: state.persisted, percent: decision.effectivePercent)
            return (decision, before, config, state.persisted, persistNeeded)
        }
        if let reason = decision.latchReason {
            logger.critical("guardrail breach: rolled back, every request goes to old until POST /admin/resume", metadata: ["reason": "\(reason)"])
        } else if case .breach(let reason) = decision.verdict, config.guardrails?.action == .pause, before.verdict != decision.verdict {
            logger.error("guardrail breach: ramp paused", metadata: ["reason": "\(reason)"])
        }
        if before.effectivePercent != decision.effectivePercent {
            logger.notice("ramp: percent in effect changed", metadata: [
                "from": "\(before.effectivePercent)", "to": "\(decision.effectivePercent)", "step": "\(decision.progress.map { String($0.step + 1) } ?? "-")",
            ])
        }
        publishGauges()
        if persistNeeded {
            do {
                try stateStore.save(persisted)
            } catch {
                logger.error("state file could not be written", metadata: ["state_file": "\(config.stateFile)", "error": "\(error)"])
            }
        }
    }

    // MARK: - Derived state

    private static func snapshot(active: ActiveConfig, persisted: PersistedState, percent: Int) -> Snapshot {
        Snapshot(active: active, flagState: FlagState(killed: persisted.killed, latched: persisted.latched, effectivePercent: percent))
    }

    private func publishGauges() {
        let snapshot = snapshot()
        let state = snapshot.flagState
        recorder.metrics.publishFlag(
            effectivePercent: state.effectivePercent,
            enabled: snapshot.active.config.flag.enabled && !state.killed,
            latched: state.latched
        )
    }

    func shutdown() {
        snapshot().active.shutdown()
    }
}
