import Foundation
import GatewayCore

/// The rollout state of a fleet in etcd (docs/architecture.md, "Rollout state"), under `<prefix><flag.key>/`:
///
/// | key | value | written |
/// |---|---|---|
/// | `kill` | who, when, why | by any replica's kill; deleted by a resume |
/// | `latch` | reason, who, when | by the ramp leader on a breach (only if absent); deleted by a resume |
/// | `schedule` | fingerprint, step, entered_at | by the ramp leader, only over the value it read |
/// | `leader` | replica id, bound to its lease | by the replica that wins the election |
/// | `replicas/<id>` | version, config hash, revision seen | every second, under the replica's lease |
/// | `windows/<id>` | the replica's guardrail window counts | every second, under the replica's lease |
///
/// Every change is a transaction that compares before it writes; nothing is read, modified and
/// written back.
final class EtcdStateStore: RolloutStateStore {
    let client: EtcdClient
    /// `<prefix><flag.key>/`
    let base: String
    var kind: String { "etcd" }

    init(config: EtcdConfig, flagKey: String, environment: [String: String]) {
        client = EtcdClient(config: config, environment: environment)
        base = config.prefix + flagKey + "/"
    }

    var killKey: String { base + "kill" }
    var latchKey: String { base + "latch" }
    var scheduleKey: String { base + "schedule" }
    var leaderKey: String { base + "leader" }
    func replicaKey(_ id: String) -> String { base + "replicas/" + id }
    func windowsKey(_ id: String) -> String { base + "windows/" + id }

    // MARK: - State

    func read() -> StoreRead {
        do {
            let response: Etcd.RangeResponse = try client.call(
                "/v3/kv/range", Etcd.RangeRequest(key: Etcd.encode(base), rangeEnd: Etcd.rangeEnd(ofPrefix: base))
            )
            return .state(state(from: response.kvs ?? []), revision: response.header?.revisionNumber ?? 0)
        } catch {
            return .unreachable("\(error)")
        }
    }

    /// The rollout state in a range of keys (others are ignored; an unreadable value counts as
    /// present, so a damaged kill still kills).
    func state(from kvs: [Etcd.KeyValue]) -> PersistedState {
        var state = PersistedState()
        for kv in kvs {
            switch kv.keyText {
            case killKey:
                let record = try? Self.decoder.decode(KillRecord.self, from: kv.valueData)
                state.killed = true
                state.killedAt = record?.at
                state.killedBy = record?.by ?? "unknown (unreadable kill record)"
                state.killReason = record?.reason
            case latchKey:
                let record = try? Self.decoder.decode(LatchRecord.self, from: kv.valueData)
                state.latched = true
                state.latchReason = record?.reason ?? "unreadable latch record"
                state.latchedAt = record?.at
                state.latchedBy = record?.by
            case scheduleKey:
                state.schedule = try? Self.decoder.decode(ScheduleProgress.self, from: kv.valueData)
            default:
                break
            }
        }
        return state
    }

    func commit(_ change: StateChange, onto state: PersistedState) -> CommitOutcome {
        let request: Etcd.TxnRequest
        switch change {
        case .kill(let by, let at, let reason):
            request = Etcd.TxnRequest(
                compare: [.absent(killKey)], success: [.put(killKey, Self.encoded(KillRecord(by: by, at: at, reason: reason)))]
            )
        case .resume:
            request = Etcd.TxnRequest(compare: [], success: [.delete(killKey), .delete(latchKey)])
        case .latch(let reason, let by, let at):
            request = Etcd.TxnRequest(
                compare: [.absent(latchKey)], success: [.put(latchKey, Self.encoded(LatchRecord(reason: reason, by: by, at: at)))]
            )
        case .abort(let by, let at):
            request = Etcd.TxnRequest(
                compare: [.absent(latchKey)],
                success: [.put(latchKey, Self.encoded(LatchRecord(reason: StateChange.abortReason, by: by, at: at)))]
            )
        case .schedule(let progress, let replacing):
            let guardCompare: Etcd.Compare = replacing.map { .holds(scheduleKey, Self.encoded($0)) } ?? .absent(scheduleKey)
            request = Etcd.TxnRequest(compare: [guardCompare], success: [.put(scheduleKey, Self.encoded(progress))])
        case .promote(let approved, let replacing, _, _):
            request = Etcd.TxnRequest(
                compare: [.holds(scheduleKey, Self.encoded(replacing))], success: [.put(scheduleKey, Self.encoded(approved))])
        }
        do {
            let response: Etcd.TxnResponse = try client.call("/v3/kv/txn", request)
            let revision = response.header?.revisionNumber ?? 0
            if response.succeeded == true { return .committed(nil, revision: revision) }
            switch change {
            // Already killed or already latched: the fleet is where this change wanted it.
            case .kill, .latch, .abort, .resume: return .committed(nil, revision: revision)
            case .schedule, .promote: return .superseded
            }
        } catch {
            return .failed("\(error)")
        }
    }

    // MARK: - Leases, election, heartbeat, windows

    func grantLease(ttlSeconds: Int) throws -> Int64 {
        let response: Etcd.LeaseGrantResponse = try client.call("/v3/lease/grant", Etcd.LeaseGrantRequest(TTL: String(ttlSeconds)))
        guard let id = response.ID.flatMap(Int64.init) else {
            throw EtcdClient.Failure(description: "etcd granted no lease: \(response.error ?? "no ID")")
        }
        return id
    }

    /// False when the lease has expired (its keys are gone; a new one is needed).
    func keepAlive(lease: Int64) throws -> Bool {
        let response: Etcd.LeaseKeepAliveResponse = try client.call("/v3/lease/keepalive", Etcd.LeaseRequest(ID: String(lease)))
        return (response.result?.TTL.flatMap(Int.init) ?? 0) > 0
    }

    func revoke(lease: Int64) {
        _ = try? client.call("/v3/lease/revoke", Etcd.LeaseRequest(ID: String(lease)), as: Etcd.TxnResponse.self)
    }

    /// Puts this replica's heartbeat and window counts under its lease, and takes the ramp
    /// leadership if nobody holds it. Returns the leader's id.
    func heartbeat(id: String, replica: ReplicaRecord, windows: WindowCountsPair, lease: Int64) throws -> String? {
        let puts: [Etcd.RequestOp] = [
            .put(replicaKey(id), Self.encoded(replica), lease: lease), .put(windowsKey(id), Self.encoded(windows), lease: lease),
        ]
        let _: Etcd.TxnResponse = try client.call("/v3/kv/txn", Etcd.TxnRequest(compare: [], success: puts))
        let campaign: Etcd.TxnResponse = try client.call(
            "/v3/kv/txn", Etcd.TxnRequest(compare: [.absent(leaderKey)], success: [.put(leaderKey, Data(id.utf8), lease: lease)])
        )
        if campaign.succeeded == true { return id }
        let leader: Etcd.RangeResponse = try client.call("/v3/kv/range", Etcd.RangeRequest(key: Etcd.encode(leaderKey)))
        return leader.kvs?.first.map { String(decoding: $0.valueData, as: UTF8.self) }
    }

    /// Every live replica's heartbeat and windows, and the leader.
    func fleet() throws -> FleetSnapshot {
        let response: Etcd.RangeResponse = try client.call(
            "/v3/kv/range", Etcd.RangeRequest(key: Etcd.encode(base), rangeEnd: Etcd.rangeEnd(ofPrefix: base))
        )
        var snapshot = FleetSnapshot(revision: response.header?.revisionNumber ?? 0)
        for kv in response.kvs ?? [] {
            let key = kv.keyText
            if key == leaderKey {
                snapshot.leader = String(decoding: kv.valueData, as: UTF8.self)
            } else if key.hasPrefix(base + "replicas/"), let record = try? Self.decoder.decode(ReplicaRecord.self, from: kv.valueData) {
                snapshot.replicas[String(key.dropFirst((base + "replicas/").count))] = record
            } else if key.hasPrefix(base + "windows/"), let windows = try? Self.decoder.decode(WindowCountsPair.self, from: kv.valueData) {
                snapshot.windows[String(key.dropFirst((base + "windows/").count))] = windows
            }
        }
        return snapshot
    }

    /// Watches every key of the flag from `revision` and calls `onChange` with the revision of
    /// each change to the rollout state (kill, latch, schedule). Returns when the stream ends.
    func watch(from revision: Int64, shouldStop: @escaping () -> Bool, onChange: @escaping (Int64) -> Void) throws {
        let stateKeys: Set<String> = [killKey, latchKey, scheduleKey]
        try client.watch(key: Etcd.encode(base), rangeEnd: Etcd.rangeEnd(ofPrefix: base), from: revision, shouldStop: shouldStop) { response in
            guard let result = response.result else { return }
            let events = result.events ?? []
            if events.contains(where: { stateKeys.contains($0.kv?.keyText ?? "") }) {
                onChange(result.header?.revisionNumber ?? 0)
            }
        }
    }

    // MARK: - Values

    struct KillRecord: Codable {
        var by: String
        var at: Date
        var reason: String?
    }

    struct LatchRecord: Codable {
        var reason: String
        var by: String
        var at: Date
    }

    private static let decoder: JSONDecoder = {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return decoder
    }()

    /// Deterministic JSON (sorted keys), so a compare on a value written earlier holds.
    static func encoded(_ value: some Encodable) -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        encoder.dateEncodingStrategy = .iso8601
        return (try? encoder.encode(value)) ?? Data()
    }
}

/// A replica's heartbeat: what `status` shows of the fleet.
struct ReplicaRecord: Codable, Sendable, Equatable {
    var version: String
    var configSHA256: String
    var revision: Int64
    var startedAt: Date

    enum CodingKeys: String, CodingKey {
        case version
        case configSHA256 = "config_sha256"
        case revision
        case startedAt = "started_at"
    }
}

/// The fleet as one range read of etcd shows it.
struct FleetSnapshot: Sendable, Equatable {
    var revision: Int64
    var leader: String?
    var replicas: [String: ReplicaRecord] = [:]
    var windows: [String: WindowCountsPair] = [:]
}
