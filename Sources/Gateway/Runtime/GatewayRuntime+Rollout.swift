import Foundation
import GatewayCore
import Logging
import NIOConcurrencyHelpers

/// Kill, resume, the ramp and the store: every change goes through the `RolloutStateMachine`
/// under the lock, and the actions it returns run after the lock is released.
extension GatewayRuntime {
    typealias Action = RolloutStateMachine.Action

    /// A file store is read once at start, synchronously: a missing file is a first start, and a
    /// file that exists but cannot be read may have held a kill or a rollback latch, so it never
    /// means "nothing was killed": the gateway starts killed, says why, moves the bad file aside
    /// and writes the kill down, so a restart stays killed until an operator resumes.
    func startFromFile() {
        guard let file = store as? FileStateStore else { return }
        var actions: [Action] = []
        switch file.read() {
        case .state(let state, let revision):
            actions += mutate { $0.observed(state, revision: revision) }
            if state.killed { logger.warning("kill switch is on (from the state file): every request goes to old") }
            if state.latched {
                logger.error(
                    "rollback latch is set (from the state file): every request goes to old until POST /admin/resume",
                    metadata: ["reason": "\(state.latchReason ?? "")"])
            }
        case .fresh, .unreachable:
            actions += mutate { $0.observed(PersistedState(), revision: 0) }
        case .unreadable(let reason):
            actions += mutate { $0.observed(PersistedState(), revision: 0) }
            let aside = file.quarantine()
            logger.critical(
                "state file unreadable: starting KILLED (every request goes to old) because it may have held a kill or a rollback; check it, then POST /admin/resume",
                metadata: ["state_file": "\(file.path)", "reason": "\(reason)", "moved_to": "\(aside ?? "(could not be moved)")"]
            )
            actions += mutate { $0.propose(.kill(by: "gateway", at: Date(), reason: "state_file unreadable at start: \(reason)")) }
        }
        run(actions)
        superviseRamp(windows: localWindows(), leading: true)
    }

    // MARK: - Operator actions

    /// Everyone old from the next request on, on this replica at once and on the fleet as soon
    /// as the store has it. Returns whether the store confirmed within its timeout.
    func kill(by actor: String) async -> Bool {
        await change(.kill(by: actor, at: Date(), reason: nil))
    }

    /// Kill switch off and guardrail latch cleared; the guardrail windows start afresh so the
    /// traffic that caused a rollback does not trigger it again.
    func resume(by actor: String) async -> Bool {
        await change(.resume(by: actor, at: Date()))
    }

    /// The rollback latch with reason `aborted`: everyone old until a resume.
    func abort(by actor: String) async -> Bool {
        await change(.abort(by: actor, at: Date()))
    }

    enum PromoteOutcome: Sendable, Equatable {
        /// The step that waited for approval (0-based) is approved; the ramp leaves it at its
        /// next evaluation. `confirmed`: the store has it.
        case promoted(step: Int, confirmed: Bool)
        /// Nothing waits for approval; the reason says what does.
        case refused(String)
    }

    /// Approves leaving the step that waits for approval. Only a step that is waiting can be
    /// approved: its hold is over and the guardrails said go, so an approval is always given
    /// with the criteria in view.
    func promote(by actor: String) async -> PromoteOutcome {
        let now = Date()
        let (proposal, actions) = box.withLockedValue { state -> (Result<(StateChange, Int), RolloutRefusal>, [Action]) in
            switch Self.promotion(of: state.machine.effective, config: state.snapshot.active.config, by: actor, at: now) {
            case .failure(let refusal):
                return (.failure(refusal), [])
            case .success(let change):
                let actions = self.apply(&state) { $0.propose(change) }
                state.proposals += 1
                return (.success((change, state.proposals)), actions)
            }
        }
        run(actions)
        switch proposal {
        case .failure(let refusal):
            return .refused(refusal.reason)
        case .success(let (change, sequence)):
            let confirmed = await waitUntilSettled(sequence, within: storeTimeout)
            guard case .promote(let approved, _, _, _) = change else { return .refused("not a promotion") }
            let effective = box.withLockedValue { $0.machine.effective.schedule }
            // Superseded: the schedule moved between reading it and writing the approval.
            if confirmed, effective?.step == approved.step, effective?.approvedBy == nil {
                return .refused("the schedule changed while approving; check `status` and promote again")
            }
            return .promoted(step: approved.step, confirmed: confirmed)
        }
    }

    /// Why a promote or a smoke report has nothing to act on (answered 409 with the reason).
    struct RolloutRefusal: Error {
        var reason: String
    }

    /// The promote change for `state`, or why there is nothing to approve.
    static func promotion(of state: PersistedState, config: GatewayConfig, by actor: String, at now: Date) -> Result<StateChange, RolloutRefusal> {
        guard let schedule = config.schedule else { return .failure(RolloutRefusal(reason: "no schedule is configured")) }
        guard let progress = state.schedule, progress.fingerprint == schedule.fingerprint, progress.step < schedule.steps.count else {
            return .failure(RolloutRefusal(reason: "the schedule has not started"))
        }
        let step = schedule.steps[progress.step]
        let name = "step \(progress.step + 1) of \(schedule.steps.count) (\(step.percent)%)"
        if state.killed { return .failure(RolloutRefusal(reason: "the kill switch is on: resume first")) }
        if state.latched { return .failure(RolloutRefusal(reason: "the rollout is rolled back (\(state.latchReason ?? "latched")): resume first")) }
        guard step.approve else { return .failure(RolloutRefusal(reason: "\(name) has no approval gate (approve: true)")) }
        if let by = progress.approvedBy { return .failure(RolloutRefusal(reason: "\(name) is already approved by \(by)")) }
        guard progress.awaitingApprovalSince != nil else {
            let holdOver = step.hold.map { progress.enteredAt.addingTimeInterval($0.seconds) }
            let when = holdOver.map { " (its hold ends \(ISO8601DateFormatter().string(from: $0)))" } ?? ""
            return .failure(
                RolloutRefusal(reason: "\(name) is not waiting for approval yet: it waits once its hold is over and the guardrails say go\(when)"))
        }
        var approved = progress
        approved.approvedBy = actor
        approved.approvedAt = now
        return .success(.promote(approved.inWholeSeconds, replacing: progress, by: actor, at: now))
    }

    /// Records a smoke test's outcome on the current schedule step (with the schedule's position,
    /// compare-and-set like a step), so `status` shows it next to the approval. Returns why not
    /// when no step runs, or whether the store confirmed.
    func recordSmoke(passed: Bool, summary: String) async -> Result<Bool, RolloutRefusal> {
        let now = Date()
        let (proposal, actions) = box.withLockedValue { state -> (Result<Int, RolloutRefusal>, [Action]) in
            let config = state.snapshot.active.config
            guard let schedule = config.schedule, let progress = state.machine.effective.schedule, progress.fingerprint == schedule.fingerprint
            else { return (.failure(RolloutRefusal(reason: "no schedule step is running to record a smoke test for")), []) }
            var tested = progress
            tested.smokePassed = passed
            tested.smokeAt = now
            tested.smokeSummary = String(summary.prefix(300))
            let actions = self.apply(&state) { $0.propose(.schedule(tested.inWholeSeconds, replacing: progress)) }
            state.proposals += 1
            return (.success(state.proposals), actions)
        }
        run(actions)
        switch proposal {
        case .failure(let refusal): return .failure(refusal)
        case .success(let sequence): return .success(await waitUntilSettled(sequence, within: storeTimeout))
        }
    }

    private func change(_ change: StateChange) async -> Bool {
        let (actions, sequence) = box.withLockedValue { state -> ([Action], Int) in
            let actions = self.apply(&state) { $0.propose(change) }
            state.proposals += 1
            return (actions, state.proposals)
        }
        run(actions)
        return await waitUntilSettled(sequence, within: storeTimeout)
    }

    /// How long an admin call waits for the store to confirm its change: long enough for an
    /// etcd cluster to elect a new leader after losing one (its calls fail meanwhile).
    private var storeTimeout: Duration {
        max(.seconds(5), (snapshot().active.config.etcd?.timeout ?? .seconds(1)) * 3)
    }

    /// Waits until the store settled the `sequence`th proposal, at most `limit`.
    private func waitUntilSettled(_ sequence: Int, within limit: Duration) async -> Bool {
        let id = box.withLockedValue { state -> Int in
            state.nextWaiterID += 1
            return state.nextWaiterID
        }
        return await withCheckedContinuation { continuation in
            let settled = box.withLockedValue { state -> Bool in
                if state.settled >= sequence { return true }
                state.waiters.append((sequence, id, continuation))
                return false
            }
            if settled {
                continuation.resume(returning: true)
                return
            }
            // The timeout resumes the waiter only if the committer has not.
            DispatchQueue.global().asyncAfter(deadline: .now() + limit.seconds) { [self] in
                let waiter = box.withLockedValue { state -> CheckedContinuation<Bool, Never>? in
                    guard let index = state.waiters.firstIndex(where: { $0.id == id }) else { return nil }
                    return state.waiters.remove(at: index).continuation
                }
                waiter?.resume(returning: false)
            }
        }
    }

    // MARK: - The machine

    /// Runs `transition` on the machine under the lock and rebuilds the request snapshot.
    func mutate(_ transition: (inout RolloutStateMachine) -> [Action]) -> [Action] {
        box.withLockedValue { state in self.apply(&state, transition) }
    }

    func apply(_ state: inout State, _ transition: (inout RolloutStateMachine) -> [Action]) -> [Action] {
        let actions = transition(&state.machine)
        publish(
            Self.snapshot(
                active: state.snapshot.active, machine: state.machine, percent: state.ramp.effectivePercent, etcd: state.usesEtcd),
            in: &state)
        return actions
    }

    /// The side effects of a transition, after the lock.
    func run(_ actions: [Action]) {
        guard !actions.isEmpty else { return }
        let flagKey = snapshot().active.config.flag.key
        for action in actions {
            switch action {
            case .commit:
                committer.wake()
            case .audit(let change):
                logger.notice("\(Self.auditLine(change, flag: flagKey))")
            case .resetWindows:
                recorder.resetWindows()
            case .changed(let before, let after):
                logTransition(from: before, to: after)
                notify(RolloutEvents.between(before, after, schedule: snapshot().active.config.schedule))
            }
        }
        publishGauges()
    }

    /// One JSON object per operator action, in the operational log: the fleet's audit trail.
    static func auditLine(_ change: StateChange, flag: String) -> String {
        var fields: [(String, String)] = [("audit", change.name), ("flag", flag)]
        switch change {
        case .kill(let by, let at, let reason):
            fields += [("by", by), ("at", ISO8601DateFormatter().string(from: at))]
            if let reason { fields.append(("reason", reason)) }
        case .resume(let by, let at):
            fields += [("by", by), ("at", ISO8601DateFormatter().string(from: at))]
        case .latch(let reason, let by, let at):
            fields += [("by", by), ("at", ISO8601DateFormatter().string(from: at)), ("reason", reason)]
        case .schedule(let progress, _):
            fields += [("step", String(progress.step + 1))]
        case .promote(let progress, _, let by, let at):
            fields += [("by", by), ("at", ISO8601DateFormatter().string(from: at)), ("step", String(progress.step + 1))]
        case .abort(let by, let at):
            fields += [("by", by), ("at", ISO8601DateFormatter().string(from: at))]
        }
        return "{" + fields.map { "\(JSONString.quote($0.0)):\(JSONString.quote($0.1))" }.joined(separator: ",") + "}"
    }

    private func logTransition(from before: PersistedState, to after: PersistedState) {
        if !before.killed && after.killed {
            logger.warning("kill switch on: every request goes to old", metadata: ["by": "\(after.killedBy ?? "?")"])
        }
        if before.killed && !after.killed { logger.notice("kill switch off", metadata: [:]) }
        if !before.latched && after.latched {
            logger.critical(
                "guardrail breach: rolled back, every request goes to old until POST /admin/resume",
                metadata: ["reason": "\(after.latchReason ?? "")", "by": "\(after.latchedBy ?? "?")"])
        }
        if before.latched && !after.latched { logger.notice("rollback latch cleared", metadata: [:]) }
    }

    // MARK: - The store

    /// The committer's work: hands the first pending change to the store.
    func commitNext() -> StateCommitter.Progress {
        let next = box.withLockedValue { state in state.machine.pending.first.map { ($0, state.machine.stored) } }
        guard let (change, stored) = next else { return .idle }
        let outcome = store.commit(change, onto: stored)
        let (actions, waiters) = box.withLockedValue { state -> ([Action], [CheckedContinuation<Bool, Never>]) in
            var actions: [Action]
            switch outcome {
            case .committed(let result, let revision):
                actions = self.apply(&state) { $0.committed(state: result, revision: revision) }
                state.fleet.storeUp = true
            case .superseded:
                actions = self.apply(&state) { $0.superseded() }
                state.fleet.storeUp = true
            case .failed:
                state.fleet.storeUp = false
                return ([], [])
            }
            state.settled += 1
            let ready = state.waiters.filter { $0.sequence <= state.settled }
            state.waiters.removeAll { $0.sequence <= state.settled }
            return (actions, ready.map(\.continuation))
        }
        if case .failed(let reason) = outcome {
            logger.error(
                "rollout state not written; retrying", metadata: ["store": "\(store.kind)", "change": "\(change.name)", "error": "\(reason)"])
            publishGauges()
            return .failed
        }
        for waiter in waiters { waiter.resume(returning: true) }
        run(actions.filter { if case .commit = $0 { false } else { true } })
        return .more
    }

    /// What the store says now (a read at start, after a watch event, after a re-list).
    func observe(_ state: PersistedState, revision: Int64) {
        let actions = box.withLockedValue { boxed -> [Action] in
            boxed.fleet.storeUp = true
            boxed.fleet.revision = max(boxed.fleet.revision, revision)
            return self.apply(&boxed) { $0.observed(state, revision: revision) }
        }
        run(actions)
    }

    /// What the last heartbeat saw of the fleet (nil: etcd did not answer).
    func updateFleet(_ snapshot: FleetSnapshot?, leading: Bool) {
        let (changed, leader) = box.withLockedValue { state -> (Bool, String?) in
            let before = state.fleet.isLeader
            state.fleet.isLeader = leading
            if let snapshot {
                state.fleet.storeUp = true
                state.fleet.leader = snapshot.leader
                state.fleet.replicas = snapshot.replicas
                state.fleet.revision = max(state.fleet.revision, snapshot.revision)
            }
            return (before != leading, state.fleet.leader)
        }
        if changed {
            logger.notice(
                leading ? "this replica now leads the ramp" : "this replica no longer leads the ramp", metadata: ["leader": "\(leader ?? "none")"])
        }
        publishGauges()
    }

    func storeUnreachable(_ reason: String) {
        let wasUp = box.withLockedValue { state -> Bool in
            defer { state.fleet.storeUp = false }
            return state.fleet.storeUp
        }
        if wasUp {
            logger.error(
                "rollout state store unreachable: keeping the last state read, advancing nothing",
                metadata: ["store": "\(store.kind)", "error": "\(reason)"])
        }
        publishGauges()
    }

    // MARK: - Ramp and guardrails

    func localWindows() -> WindowCountsPair {
        let counts = recorder.counts()
        return WindowCountsPair(old: counts[.old]!, new: counts[.new]!)
    }

    /// Evaluates the schedule and the guardrails: the percent in effect, a step forward, a
    /// rollback latch. A leader (the file store's only replica, or the etcd election's winner)
    /// judges `windows` (its own, or the sum of every live replica's) and proposes the changes;
    /// another replica applies the stored step and judges nothing for the fleet — unless the
    /// store is unreachable, when it may latch on its own traffic.
    func superviseRamp(windows: WindowCountsPair, leading: Bool, now: Date = Date()) {
        let pair = windows.summaries
        let checksSection = snapshot().active.config.guardrails?.prometheus
        if checksSection != nil { prometheus.start(for: self) }
        let checks = checksSection.map { PrometheusJudge.verdict($0, results: prometheus.latest(), now: now) }
        let (actions, before, after, config) = box.withLockedValue { state -> ([Action], RampView, RampView, GatewayConfig) in
            let config = state.snapshot.active.config
            let effective = state.machine.effective
            let before = state.ramp
            var actions: [Action] = []
            var changes: [StateChange] = []
            if leading {
                let decision = RampController.evaluate(
                    RampController.Input(
                        schedule: config.schedule, guardrails: config.guardrails, configuredPercent: config.flag.percent,
                        progress: effective.schedule, latched: effective.latched, windows: pair, now: now, checks: checks
                    ))
                if let reason = decision.latchReason { changes.append(.latch(reason: reason, by: replicaID, at: now)) }
                if let progress = decision.progress?.inWholeSeconds, progress != effective.schedule {
                    changes.append(.schedule(progress, replacing: effective.schedule))
                }
                state.ramp = RampView(
                    verdict: decision.verdict, nextStepAt: decision.nextStepAt, effectivePercent: decision.effectivePercent, judged: pair,
                    checks: checks)
            } else {
                let verdict = config.guardrails.map { GuardrailJudge.verdict($0, windows: pair) } ?? .noVerdict
                if !state.fleet.storeUp, case .breach(let reason) = verdict, config.guardrails?.action == .rollback, !effective.latched {
                    changes.append(.latch(reason: "\(reason) (judged locally while the state store was unreachable)", by: replicaID, at: now))
                }
                let percent = RampController.percentInEffect(
                    schedule: config.schedule, configuredPercent: config.flag.percent, progress: effective.schedule, now: now
                )
                var nextStepAt: Date?
                if let schedule = config.schedule, let progress = effective.schedule, progress.step + 1 < schedule.steps.count {
                    nextStepAt = schedule.steps[progress.step].hold.map { progress.enteredAt.addingTimeInterval($0.seconds) }
                }
                state.ramp = RampView(verdict: verdict, nextStepAt: nextStepAt, effectivePercent: percent, judged: pair)
            }
            for change in changes { actions += self.apply(&state) { $0.propose(change) } }
            publish(
                Self.snapshot(
                    active: state.snapshot.active, machine: state.machine, percent: state.ramp.effectivePercent, etcd: state.usesEtcd),
                in: &state)
            return (actions, before, state.ramp, config)
        }
        run(actions)
        if case .breach(let reason) = after.verdict, before.verdict != after.verdict {
            if config.guardrails?.action == .pause { logger.error("guardrail breach: ramp paused", metadata: ["reason": "\(reason)"]) }
            if leading {
                let consequence = config.guardrails?.action == .pause ? "the ramp holds" : "rolling back"
                notify([RolloutEvents.Event(kind: .breach, message: "guardrail breach, \(consequence): \(reason)")])
            }
        }
        if before.effectivePercent != after.effectivePercent {
            logger.notice(
                "ramp: percent in effect changed",
                metadata: [
                    "from": "\(before.effectivePercent)", "to": "\(after.effectivePercent)",
                    "step": "\(persisted.schedule.map { String($0.step + 1) } ?? "-")",
                ])
        }
        publishGauges()
    }
}
