import Foundation
import GatewayCore
import Logging

/// Makes "a retried order is one conversion" hold on a fleet and across restarts: the first
/// replica to see an order's `Idempotency-Key` records it in etcd, and only that one counts the
/// conversion. A key a replica has already seen itself (`ConversionKeys`) never gets here.
///
/// Keys live at `<prefix>orders/<flag.key>/<sha256 of the key>` (outside the flag's own range,
/// so reading or watching the rollout state never walks them), under a lease of two guardrail
/// windows renewed by re-granting every window: a key is remembered one to two windows, like
/// `ConversionKeys`. The value is empty; the hash keeps client-chosen text out of etcd's key space.
///
/// The questions are asked from a thread of this object, in batches of up to `batchSize` puts
/// with `prev_kv` in one transaction (a key with a previous value is a repeat; etcd orders
/// concurrent puts, so exactly one replica sees none). Never on a request path: the worker
/// counts the conversion when the answer comes back (`Worker.submit`). When etcd cannot answer,
/// or more than `capacity` questions wait, the answer is `.unchecked` and the conversion counts
/// (the replica's own dedup still applies), so an etcd outage can make new's conversion look
/// better by a retry, never worse.
///
/// `@unchecked Sendable`: `waiting` and `draining` are only touched while holding `condition`;
/// `lease` only by the one drain thread (a new one starts only after the last has set
/// `draining` to false under the lock).
final class FleetOrderKeys: @unchecked Sendable {
    enum Verdict: Int, CaseIterable, Sendable {
        case first, repeated, unchecked

        /// `gateway_order_keys_total{result}`
        var label: String {
            switch self {
            case .first: "first"
            case .repeated: "repeat"
            case .unchecked: "unchecked"
            }
        }
    }

    private struct Question {
        var key: String
        var windowSeconds: Int
        var answer: @Sendable (Verdict) -> Void
    }

    static let capacity = 10_000
    /// Below etcd's default `--max-txn-ops` (128).
    static let batchSize = 100
    private let client: EtcdClient
    private let base: String
    private let logger: Logger
    private let condition = NSCondition()
    private var waiting: [Question] = []
    private var draining = false
    private var lease: (id: Int64, ttl: Int, grantedAt: ContinuousClock.Instant)?

    init(client: EtcdClient, prefix: String, flagKey: String, logger: Logger) {
        self.client = client
        self.base = prefix + "orders/" + flagKey + "/"
        self.logger = logger
    }

    /// The etcd key of an order's idempotency key.
    func etcdKey(_ idempotencyKey: String) -> String {
        base + ContentHash.sha256Hex(idempotencyKey.utf8)
    }

    /// Asks whether any replica counted `key` in the last one to two windows; `answer` is called
    /// once, from this object's thread, or at once with `.unchecked` when too many questions wait.
    func check(_ key: String, windowSeconds: Int, answer: @escaping @Sendable (Verdict) -> Void) {
        condition.lock()
        guard waiting.count < Self.capacity else {
            condition.unlock()
            answer(.unchecked)
            return
        }
        waiting.append(Question(key: key, windowSeconds: max(windowSeconds, 1), answer: answer))
        let start = !draining
        draining = true
        condition.unlock()
        if start {
            let thread = Thread { [self] in drain() }
            thread.name = "order-keys"
            thread.start()
        }
    }

    private func drain() {
        while true {
            condition.lock()
            guard !waiting.isEmpty else {
                draining = false
                condition.unlock()
                return
            }
            let batch = Array(waiting.prefix(Self.batchSize))
            waiting.removeFirst(batch.count)
            condition.unlock()
            let verdicts: [Verdict]
            do {
                verdicts = try ask(batch)
            } catch {
                logger.warning(
                    "etcd did not answer whether completed orders were counted by another replica; they count here (a retry on another replica may count twice)",
                    metadata: ["orders": "\(batch.count)", "error": "\(error)"])
                verdicts = Array(repeating: .unchecked, count: batch.count)
            }
            for (question, verdict) in zip(batch, verdicts) { question.answer(verdict) }
        }
    }

    private func ask(_ batch: [Question]) throws -> [Verdict] {
        let ttl = 2 * (batch.map(\.windowSeconds).max() ?? 1)
        do {
            return try put(batch, lease: try currentLease(ttl: ttl))
        } catch let failure as EtcdClient.Failure where failure.description.contains("lease not found") {
            // etcd lost the lease (restored from a snapshot, or it expired while nobody asked).
            lease = nil
            return try put(batch, lease: try currentLease(ttl: ttl))
        }
    }

    /// The lease new keys are put under: re-granted once it is a window old, so a key lives one
    /// to two windows.
    private func currentLease(ttl: Int) throws -> Int64 {
        if let lease, lease.ttl == ttl, lease.grantedAt.duration(to: .now) < .seconds(ttl / 2) { return lease.id }
        let response: Etcd.LeaseGrantResponse = try client.call("/v3/lease/grant", Etcd.LeaseGrantRequest(TTL: String(ttl)))
        guard let id = response.ID.flatMap(Int64.init) else {
            throw EtcdClient.Failure(description: "etcd granted no lease: \(response.error ?? "no ID")")
        }
        lease = (id, ttl, .now)
        return id
    }

    /// etcd refuses a transaction that puts one key twice: a key's later questions in the same
    /// batch are repeats of its first.
    private func put(_ batch: [Question], lease: Int64) throws -> [Verdict] {
        var firstIndex: [String: Int] = [:]
        var unique: [String] = []
        for question in batch where firstIndex[question.key] == nil {
            firstIndex[question.key] = unique.count
            unique.append(question.key)
        }
        let puts = unique.map { Etcd.RequestOp.put(etcdKey($0), Data("1".utf8), lease: lease, previous: true) }
        let response: Etcd.TxnResponse = try client.call("/v3/kv/txn", Etcd.TxnRequest(compare: [], success: puts))
        let answers = response.responses ?? []
        guard answers.count == unique.count else {
            throw EtcdClient.Failure(description: "etcd answered \(answers.count) of \(unique.count) puts")
        }
        var answered = Set<String>()
        return batch.map { question in
            guard answered.insert(question.key).inserted else { return .repeated }
            return answers[firstIndex[question.key]!].responsePut?.prevKv == nil ? .first : .repeated
        }
    }
}
