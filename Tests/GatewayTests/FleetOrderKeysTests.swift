import Foundation
import GatewayCore
import Logging
import NIOConcurrencyHelpers
import Testing

@testable import Gateway

/// `FleetOrderKeys` against a real etcd: the first put of an order's key wins, a repeat in the
/// same batch or a later one is a repeat, the key carries a lease, and an etcd that cannot be
/// reached answers `unchecked` (the conversion counts; nothing waits for etcd).
@Suite("Order keys in etcd", .timeLimit(.minutes(1)))
struct FleetOrderKeysTests {
    private func keys(endpoint: String, prefix: String) -> (FleetOrderKeys, EtcdClient) {
        var config = EtcdConfig(endpoints: [UpstreamURL(endpoint)!])
        config.timeout = .milliseconds(500)
        let client = EtcdClient(config: config, environment: [:])
        return (FleetOrderKeys(client: client, prefix: prefix, flagKey: "new-checkout", logger: Logger(label: "test")), client)
    }

    /// Asks for every key at once (so they share batches) and waits for all the answers.
    private func verdicts(_ orderKeys: FleetOrderKeys, _ keys: [String]) async -> [FleetOrderKeys.Verdict] {
        let answers = NIOLockedValueBox([Int: FleetOrderKeys.Verdict]())
        await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
            for (index, key) in keys.enumerated() {
                orderKeys.check(key, windowSeconds: 30) { verdict in
                    let complete = answers.withLockedValue { answers in
                        answers[index] = verdict
                        return answers.count == keys.count
                    }
                    if complete { done.resume() }
                }
            }
        }
        return answers.withLockedValue { answers in keys.indices.map { answers[$0]! } }
    }

    @Test func theFirstPutOfAKeyWinsAndTheKeyHasALease() async throws {
        let etcd = try await EtcdCluster.start()
        defer { etcd.stop() }
        let (orderKeys, client) = keys(endpoint: etcd.endpoints[0], prefix: "/t/")
        #expect(await verdicts(orderKeys, ["order-1", "order-1", "order-2"]) == [.first, .repeated, .first])
        #expect(await verdicts(orderKeys, ["order-2", "order-3"]) == [.repeated, .first])

        let stored: Etcd.RangeResponse = try client.call(
            "/v3/kv/range",
            Etcd.RangeRequest(key: Etcd.encode("/t/orders/new-checkout/"), rangeEnd: Etcd.rangeEnd(ofPrefix: "/t/orders/new-checkout/")))
        let names = (stored.kvs ?? []).map(\.keyText)
        #expect(names.count == 3)
        #expect(names.contains(orderKeys.etcdKey("order-1")) && !names.joined().contains("order-1"), "stored as hashes, not client text")
        struct Leased: Decodable { var kvs: [[String: String]]? }
        let raw: Leased = try client.call("/v3/kv/range", Etcd.RangeRequest(key: Etcd.encode(orderKeys.etcdKey("order-3"))))
        #expect(raw.kvs?.first?["lease"].flatMap(Int64.init).map { $0 != 0 } == true, "the key expires with its lease")
    }

    @Test func anUnreachableEtcdAnswersUnchecked() async throws {
        let (orderKeys, _) = keys(endpoint: "http://127.0.0.1:\(try FreePort.find())", prefix: "/t/")
        #expect(await verdicts(orderKeys, ["order-1", "order-1"]) == [.unchecked, .unchecked])
    }
}
