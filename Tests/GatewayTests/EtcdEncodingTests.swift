import Foundation
import GatewayCore
import Testing

@testable import Gateway

/// The etcd v3 JSON API as the gateway writes and reads it: base64 keys and values, 64-bit
/// numbers as strings, prefix ranges, the compares that make every change a transaction.
@Suite("etcd JSON encoding")
struct EtcdEncodingTests {
    func json(_ value: some Encodable) throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: JSONEncoder().encode(value)) as? [String: Any] ?? [:]
    }

    @Test func keysAreBase64AndPrefixRangesEndOneBytePastThePrefix() {
        #expect(Etcd.encode("/checkout-gateway/new-checkout/kill") == "L2NoZWNrb3V0LWdhdGV3YXkvbmV3LWNoZWNrb3V0L2tpbGw=")
        #expect(Etcd.decode(Etcd.rangeEnd(ofPrefix: "/cg/flag/")) == "/cg/flag0")
    }

    @Test func comparesAndOperationsEncodeAsTheGatewayExpects() throws {
        let absent = try json(Etcd.Compare.absent("/cg/f/latch"))
        #expect(absent["target"] as? String == "CREATE" && absent["create_revision"] as? String == "0" && absent["result"] as? String == "EQUAL")
        #expect(absent["key"] as? String == Etcd.encode("/cg/f/latch"))
        let holds = try json(Etcd.Compare.holds("/cg/f/schedule", Data("{}".utf8)))
        #expect(holds["target"] as? String == "VALUE" && holds["value"] as? String == "e30=")
        let put = try json(Etcd.RequestOp.put("/cg/f/leader", Data("me".utf8), lease: 7_587_887_422_283_462_405))
        let request = try #require(put["request_put"] as? [String: Any])
        #expect(request["lease"] as? String == "7587887422283462405", "64-bit numbers travel as strings")
        #expect(request["value"] as? String == "bWU=")
    }

    @Test func watchLinesAndRevisionsDecode() throws {
        let line =
            #"{"result":{"header":{"cluster_id":"1","member_id":"2","revision":"41","raft_term":"2"},"events":[{"type":"DELETE","kv":{"key":"L2NnL2Yva2lsbA==","mod_revision":"41"}}]}}"#
        let response = try JSONDecoder().decode(Etcd.WatchResponse.self, from: Data(line.utf8))
        #expect(response.result?.header?.revisionNumber == 41)
        #expect(response.result?.events?.first?.type == "DELETE")
        #expect(response.result?.events?.first?.kv?.keyText == "/cg/f/kill")
    }

    @Test func theStoredStateIsReadFromTheFlagsKeys() throws {
        var config = EtcdConfig(endpoints: [UpstreamURL("http://127.0.0.1:2379")!])
        config.prefix = "/cg/"
        let store = EtcdStateStore(config: config, flagKey: "f", environment: [:])
        let kill = EtcdStateStore.encoded(EtcdStateStore.KillRecord(by: "token", at: Date(timeIntervalSince1970: 1_800_000_000), reason: nil))
        func kv(_ key: String, _ value: Data) -> Etcd.KeyValue {
            Etcd.KeyValue(key: Etcd.encode(key), value: value.base64EncodedString(), createRevision: "3", modRevision: "3")
        }
        let state = store.state(from: [
            kv("/cg/f/kill", kill), kv("/cg/f/latch", Data("not json".utf8)), kv("/cg/f/replicas/a", Data("{}".utf8)),
            kv("/cg/other/kill", kill),
        ])
        #expect(state.killed && state.killedBy == "token")
        #expect(state.latched, "an unreadable latch record still latches")
        #expect(state.schedule == nil)
        #expect(String(decoding: kill, as: UTF8.self) == #"{"at":"2027-01-15T08:00:00Z","by":"token"}"#, "sorted keys, whole seconds")
    }
}
