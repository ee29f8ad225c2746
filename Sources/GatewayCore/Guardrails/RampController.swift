import Foundation

/// Runs the ramp: where the schedule stands, what percent is in effect, and whether the
/// guardrails latch a rollback. Pure: the same input gives the same decision, so every rule is
/// tested with plain dates and window numbers.
public enum RampController {
    public struct Input: Sendable {
        public var schedule: Schedule?
        public var guardrails: Guardrails?
        public var configuredPercent: Int
        public var progress: ScheduleProgress?
        public var latched: Bool
        public var windows: WindowPair
        public var now: Date
        /// The `guardrails.prometheus` checks' verdict, when configured.
        public var checks: PrometheusJudge.Verdict?

        public init(
            schedule: Schedule?, guardrails: Guardrails?, configuredPercent: Int, progress: ScheduleProgress?, latched: Bool,
            windows: WindowPair, now: Date, checks: PrometheusJudge.Verdict? = nil
        ) {
            self.checks = checks
            self.schedule = schedule
            self.guardrails = guardrails
            self.configuredPercent = configuredPercent
            self.progress = progress
            self.latched = latched
            self.windows = windows
            self.now = now
        }
    }

    public struct Decision: Sendable, Equatable {
        public var effectivePercent: Int
        public var progress: ScheduleProgress?
        public var verdict: GuardrailVerdict
        /// Set when this evaluation latches a rollback: the reason to record.
        public var latchReason: String?
        /// When the current step may advance (its hold is over), if it has a next step.
        public var nextStepAt: Date?
    }

    public static func evaluate(_ input: Input) -> Decision {
        let verdict = input.guardrails.map { PrometheusJudge.combine(GuardrailJudge.verdict($0, windows: input.windows), input.checks) } ?? .noVerdict
        var latchReason: String?
        if case .breach(let reason) = verdict, input.guardrails?.action == .rollback, !input.latched {
            latchReason = reason
        }
        guard let schedule = input.schedule else {
            return Decision(effectivePercent: input.configuredPercent, progress: nil, verdict: verdict, latchReason: latchReason, nextStepAt: nil)
        }
        guard input.now >= schedule.start else {
            return Decision(effectivePercent: 0, progress: nil, verdict: verdict, latchReason: latchReason, nextStepAt: schedule.start)
        }
        let fingerprint = schedule.fingerprint
        var progress = input.progress
        if progress?.fingerprint != fingerprint || progress.map({ $0.step >= schedule.steps.count }) == true {
            progress = ScheduleProgress(fingerprint: fingerprint, step: 0, enteredAt: input.now)
        }
        var current = progress!
        let step = schedule.steps[current.step]
        let holdOver = step.hold.map { current.enteredAt.addingTimeInterval($0.seconds) }
        // Without guardrails the schedule runs on time alone; with them it needs a clean window
        // with enough requests, and never advances while latched or latching. An approval gate
        // also needs an operator's promote: until then the step waits, and says since when.
        // Once approved, a gate moves on without waiting for another go (traffic may have
        // thinned since the person looked), but never on a breach or while latched.
        let mayAdvance = input.guardrails == nil || (verdict == .go && !input.latched && latchReason == nil)
        let isBreach = if case .breach = verdict { true } else { false }
        let approvedMayAdvance = current.isApproved && !input.latched && latchReason == nil && !isBreach
        if let holdOver, input.now >= holdOver, current.step + 1 < schedule.steps.count {
            if step.approve && approvedMayAdvance || !step.approve && mayAdvance {
                current = ScheduleProgress(fingerprint: fingerprint, step: current.step + 1, enteredAt: input.now)
            } else if step.approve, mayAdvance, current.awaitingApprovalSince == nil {
                current.awaitingApprovalSince = input.now
            }
        }
        let nextStepAt = schedule.steps[current.step].hold.map { current.enteredAt.addingTimeInterval($0.seconds) }
        return Decision(
            effectivePercent: schedule.steps[current.step].percent, progress: current, verdict: verdict, latchReason: latchReason,
            nextStepAt: current.step + 1 < schedule.steps.count ? nextStepAt : nil
        )
    }
}

extension RampController {
    /// The percent in effect on a replica that does not lead the ramp: the stored schedule
    /// step's, never a step of its own making (only the leader advances).
    public static func percentInEffect(schedule: Schedule?, configuredPercent: Int, progress: ScheduleProgress?, now: Date) -> Int {
        guard let schedule else { return configuredPercent }
        guard now >= schedule.start else { return 0 }
        guard let progress, progress.fingerprint == schedule.fingerprint, progress.step < schedule.steps.count else {
            return schedule.steps[0].percent
        }
        return schedule.steps[progress.step].percent
    }
}

extension Schedule {
    /// Identifies the schedule's content: start and every step.
    public var fingerprint: String {
        let text = "\(start.timeIntervalSince1970)|" + steps.map { "\($0.percent)/\($0.hold?.milliseconds ?? -1)" }.joined(separator: ",")
        return String(ContentHash.sha256Hex(Array(text.utf8)).prefix(16))
    }
}

extension Duration {
    /// The duration in seconds as a `TimeInterval`.
    public var seconds: Double {
        let (whole, fraction) = components
        return Double(whole) + Double(fraction) / 1e18
    }
}
