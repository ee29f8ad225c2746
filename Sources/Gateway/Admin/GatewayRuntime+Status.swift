import Foundation
import GatewayCore

extension GatewayRuntime {
    func fleetPart() -> StatusReport.FleetPart {
        let fleet = fleetView
        let info = configInfo
        var replicas = fleet.replicas.map { id, record in
            StatusReport.FleetPart.Replica(
                id: id, version: record.version, configSHA256: record.configSHA256, revision: record.revision, startedAt: record.startedAt
            )
        }.sorted { $0.id < $1.id }
        if store is FileStateStore {
            replicas = [.init(id: replicaID, version: GatewayVersion.current, configSHA256: info.sha256, revision: 0, startedAt: startedAt)]
        }
        return StatusReport.FleetPart(
            store: store.kind, storeUp: fleet.storeUp, revision: fleet.revision, leader: store is FileStateStore ? replicaID : fleet.leader,
            thisReplica: replicaID, leading: store is FileStateStore || fleet.isLeader, replicas: replicas,
            configHashes: Array(Set(replicas.map(\.configSHA256))).sorted()
        )
    }

    func statusReport() -> StatusReport {
        let snapshot = snapshot()
        let info = configInfo
        let persisted = persisted
        let config = snapshot.active.config
        let ramp = rampView
        let windows = recorder.summaries()
        var window: [String: StatusReport.WindowPart] = [:]
        for (variant, summary) in windows {
            window[variant.rawValue] = StatusReport.WindowPart(
                requests: summary.requests, errors: summary.errors, errorRate: summary.errorRate, p50Ms: summary.p50Ms, p99Ms: summary.p99Ms,
                conversionStarts: config.guardrails?.conversion == nil ? nil : summary.conversionStarts,
                conversionDones: config.guardrails?.conversion == nil ? nil : summary.conversionDones
            )
        }
        return StatusReport(
            config: .init(path: info.path, sha256: info.sha256, loadedAt: info.loadedAt, lastError: info.lastError),
            flag: .init(
                key: config.flag.key, enabled: config.flag.enabled, percentConfigured: config.flag.percent,
                percentEffective: snapshot.flagState.effectivePercent, killed: persisted.killed, killedAt: persisted.killedAt,
                killReason: persisted.killReason, killedBy: persisted.killedBy,
                latched: persisted.latched, latchReason: persisted.latchReason, latchedAt: persisted.latchedAt,
                latchedBy: persisted.latchedBy, stateUnknown: snapshot.flagState.unknown ? true : nil
            ),
            fleet: fleetPart(),
            schedule: config.schedule.map { schedule in
                StatusReport.SchedulePart(
                    step: persisted.schedule.map { $0.step + 1 }, steps: schedule.steps.count, percent: ramp.effectivePercent,
                    enteredAt: persisted.schedule?.enteredAt, nextStepAt: ramp.nextStepAt,
                    approve: persisted.schedule.flatMap { $0.step < schedule.steps.count ? schedule.steps[$0.step].approve : nil },
                    awaitingApprovalSince: persisted.schedule?.awaitingApprovalSince, approvedBy: persisted.schedule?.approvedBy,
                    approvedAt: persisted.schedule?.approvedAt, smokePassed: persisted.schedule?.smokePassed,
                    smokeAt: persisted.schedule?.smokeAt, smokeSummary: persisted.schedule?.smokeSummary,
                    plan: schedule.steps.map { .init(percent: $0.percent, holdSeconds: $0.hold?.seconds, approve: $0.approve, shadow: $0.shadow) }
                )
            },
            guardrails: config.guardrails.map { guardrails in
                let judged = ramp.judged ?? WindowPair(old: windows[.old]!, new: windows[.new]!)
                var part: StatusReport.GuardrailPart
                switch ramp.verdict {
                case .noVerdict:
                    // Why there is none yet: the requests judged (the fleet's on an etcd leader) against
                    // the minimum, or a Prometheus check without an answer.
                    var reason = "\(judged.new.requests) of \(guardrails.minRequests) requests on new in the window"
                    if judged.new.requests >= guardrails.minRequests, case .noVerdict(let why)? = ramp.checks { reason = why }
                    part = StatusReport.GuardrailPart(verdict: "no_verdict", reason: reason, action: guardrails.action.rawValue)
                case .go: part = StatusReport.GuardrailPart(verdict: "go", reason: nil, action: guardrails.action.rawValue)
                case .breach(let reason): part = StatusReport.GuardrailPart(verdict: "breach", reason: reason, action: guardrails.action.rawValue)
                }
                if let conversion = guardrails.conversion {
                    let test = GuardrailJudge.conversionTest(conversion, windows: judged)
                    part.conversion = StatusReport.ConversionPart(
                        newStarts: test.newStarts, newDones: test.newDones, oldStarts: test.oldStarts, oldDones: test.oldDones, ratio: test.ratio,
                        pValue: test.pValue, minRatio: conversion.minRatio, confidence: conversion.confidence,
                        judged: test.newStarts >= guardrails.minRequests && test.oldStarts >= guardrails.minRequests)
                }
                switch ramp.checks {
                case nil: break
                case .go?: part.prometheus = StatusReport.PrometheusPart(verdict: "go", reason: nil)
                case .noVerdict(let why)?: part.prometheus = StatusReport.PrometheusPart(verdict: "no_verdict", reason: why)
                case .breach(let why)?: part.prometheus = StatusReport.PrometheusPart(verdict: "breach", reason: why)
                }
                return part
            },
            window: window,
            windowSeconds: Int((config.guardrails?.window ?? Guardrails().window).components.seconds),
            draining: isDraining,
            startedAt: startedAt,
            version: GatewayVersion.current,
            events: trail.recent.map { StatusReport.EventPart(event: $0.event.rawValue, message: $0.message, at: $0.at) }
        )
    }
}
