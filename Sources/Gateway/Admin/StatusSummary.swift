import Foundation
import GatewayCore

/// The human summary `checkout-gateway status` prints from `/status`.
public enum StatusSummary {
    public static func render(_ report: StatusReport, now: Date = Date()) -> String {
        var lines: [String] = []
        let flag = report.flag
        var state = flag.enabled ? "enabled" : "disabled (flag.enabled: false)"
        if flag.killed {
            let how = flag.killReason ?? "by \(flag.killedBy ?? "an operator")"
            state = "KILLED \(how)\(flag.killedAt.map { " at \(iso($0))" } ?? "")"
        }
        if flag.latched {
            state +=
                flag.latchReason == StateChange.abortReason
                ? "; ABORTED by \(flag.latchedBy ?? "an operator") (everyone old until resume)"
                : "; ROLLED BACK by guardrails: \(flag.latchReason ?? "no reason recorded")"
        }
        if flag.stateUnknown == true { state = "STATE UNKNOWN: the rollout state was never read from etcd, everyone gets old" }
        lines.append("flag \(flag.key): \(state)")
        // What shoppers get, not what the ramp would give: nobody gets new while off, killed,
        // rolled back or unknown.
        let everyoneOld = !flag.enabled || flag.killed || flag.latched || flag.stateUnknown == true
        let held = everyoneOld && flag.percentEffective > 0 ? "; the ramp stands at \(flag.percentEffective)% for when it is back" : ""
        lines.append("percent: \(everyoneOld ? 0 : flag.percentEffective)% in effect (\(flag.percentConfigured)% configured\(held))")
        if let schedule = report.schedule {
            if let step = schedule.step {
                let next = schedule.nextStepAt.map { ", next step not before \(iso($0))" } ?? " (last step)"
                lines.append("schedule: step \(step) of \(schedule.steps) at \(schedule.percent)%\(next)")
                if let by = schedule.approvedBy {
                    lines.append("approval: approved by \(by)\(schedule.approvedAt.map { " at \(iso($0))" } ?? ""); the ramp moves on")
                } else if let since = schedule.awaitingApprovalSince {
                    var criteria =
                        report.guardrails.map { "guardrails now: \($0.verdict.replacingOccurrences(of: "_", with: " "))" } ?? "no guardrails"
                    if let passed = schedule.smokePassed {
                        criteria += "; smoke test \(passed ? "passed" : "FAILED")\(schedule.smokeAt.map { " at \(iso($0))" } ?? "")"
                    } else {
                        criteria += "; no smoke test reported (smoke --report)"
                    }
                    let verdict = " (\(criteria))"
                    lines.append(
                        "approval: WAITING FOR APPROVAL since \(iso(since)) (\(ago(since, now)))\(verdict): `checkout-gateway promote` moves on, `abort` rolls back"
                    )
                } else if schedule.approve == true {
                    lines.append("approval: this step is a gate; it waits for `promote` once its hold is over and the guardrails say go")
                }
            } else {
                lines.append("schedule: not started\(schedule.nextStepAt.map { ", starts \(iso($0))" } ?? "")")
            }
        }
        if let guardrails = report.guardrails {
            let reason = guardrails.reason.map { ": \($0)" } ?? ""
            lines.append("guardrails (\(guardrails.action)): \(guardrails.verdict.replacingOccurrences(of: "_", with: " "))\(reason)")
            if let checks = guardrails.prometheus {
                lines.append("prometheus checks: \(checks.verdict.replacingOccurrences(of: "_", with: " "))\(checks.reason.map { ": \($0)" } ?? "")")
            }
            if let c = guardrails.conversion, c.judged == false {
                lines.append("conversion: not judged yet (\(c.newStarts) checkouts on new, \(c.oldStarts) on old; min_requests on each needed)")
            } else if let c = guardrails.conversion {
                let ratio = c.ratio.map { format($0) } ?? "-"
                lines.append(
                    "conversion: new \(c.newDones) of \(c.newStarts), old \(c.oldDones) of \(c.oldStarts); new/old \(ratio) (min \(format(c.minRatio))), p = \(format(c.pValue, digits: 4)) (breach below \(format(1 - c.confidence, digits: 4)))"
                )
            }
        }
        lines.append(
            "config: \(report.config.path ?? "(in memory)") loaded \(iso(report.config.loadedAt)) (\(ago(report.config.loadedAt, now))), sha256 \(report.config.sha256.prefix(12))"
        )
        if let error = report.config.lastError {
            lines.append("LAST RELOAD REJECTED (the config above keeps serving):")
            lines += error.split(separator: "\n").map { "  \($0)" }
        }
        if let fleet = report.fleet, fleet.store == "etcd" {
            lines.append("state: etcd \(fleet.storeUp ? "up" : "UNREACHABLE (keeping the last state read)"), revision \(fleet.revision)")
            lines.append(
                "fleet: \(fleet.replicas.count) replica\(fleet.replicas.count == 1 ? "" : "s"), leader \(fleet.leader ?? "none")\(fleet.leading ? " (this one)" : "")"
            )
            for replica in fleet.replicas {
                let marks = (replica.id == fleet.leader ? " leader" : "") + (replica.id == fleet.thisReplica ? " (this one)" : "")
                lines.append(
                    "  \(replica.id): config \(replica.configSHA256.prefix(12)), revision \(replica.revision), version \(replica.version)\(marks)")
            }
            if fleet.configHashes.count > 1 {
                lines.append("  \(fleet.configHashes.count) config hashes: a config rollout is under way (or a replica did not reload)")
            }
        }
        lines.append("last \(report.windowSeconds)s:")
        for variant in ["old", "new"] {
            guard let window = report.window[variant] else { continue }
            let p99 = window.p99Ms.map { "\(format($0)) ms" } ?? "-"
            let p50 = window.p50Ms.map { "\(format($0)) ms" } ?? "-"
            var conversion = ""
            if let starts = window.conversionStarts, let dones = window.conversionDones {
                conversion =
                    ", conversion \(dones) of \(starts) checkouts" + (starts > 0 ? " (\(format(Double(dones) / Double(starts) * 100))%)" : "")
            }
            lines.append(
                "  \(variant): \(window.requests) requests, \(window.errors) errors (\(format(window.errorRate * 100))%), p50 \(p50), p99 \(p99)\(conversion)"
            )
        }
        if report.draining { lines.append("DRAINING: shutting down") }
        lines.append("version \(report.version), up since \(iso(report.startedAt))")
        return lines.joined(separator: "\n")
    }

    private static func iso(_ date: Date) -> String {
        ISO8601DateFormatter().string(from: date)
    }

    private static func ago(_ date: Date, _ now: Date) -> String {
        let seconds = Int(now.timeIntervalSince(date))
        if seconds < 120 { return "\(seconds)s ago" }
        if seconds < 7200 { return "\(seconds / 60)m ago" }
        return "\(seconds / 3600)h ago"
    }

    private static func format(_ value: Double, digits: Int = 2) -> String {
        value == value.rounded() ? String(Int(value)) : String(format: "%.\(digits)f", value)
    }
}
