import Foundation
import NIOConcurrencyHelpers
import NIOHTTP1

/// Several real gateway processes sharing one etcd (real members on loopback), between two real
/// upstreams: the fleet of docs/architecture.md, "Rollout state" on one machine.
final class FleetHarness: Sendable {
    let etcd: EtcdCluster
    let old: TestUpstream
    let new: TestUpstream
    let configPath: String
    /// Every replica launched, so none outlives a failed test (`killAll`).
    private let launched = NIOLockedValueBox<[GatewayProcess]>([])

    static func make(etcd: EtcdCluster, percent: Int = 100, extra: String = "") async throws -> FleetHarness {
        let old = try await TestUpstream.start("old")
        let new = try await TestUpstream.start("new")
        let configPath = TemporaryFiles.path("fleet.yaml")
        let prefix = "/test-\(RandomSuffix.make())/"
        try yaml(etcd: etcd, old: old, new: new, percent: percent, prefix: prefix, extra: extra)
            .write(toFile: configPath, atomically: true, encoding: .utf8)
        return FleetHarness(etcd: etcd, old: old, new: new, configPath: configPath, prefix: prefix, extra: extra)
    }

    private let prefix: String
    private let extra: String

    private init(etcd: EtcdCluster, old: TestUpstream, new: TestUpstream, configPath: String, prefix: String, extra: String) {
        self.etcd = etcd
        self.old = old
        self.new = new
        self.configPath = configPath
        self.prefix = prefix
        self.extra = extra
    }

    /// Rewrites the replicas' shared config (a new file renamed over the old one) with `percent`.
    func rewrite(percent: Int) throws {
        try Self.yaml(etcd: etcd, old: old, new: new, percent: percent, prefix: prefix, extra: extra)
            .write(toFile: configPath, atomically: true, encoding: .utf8)
    }

    static func yaml(etcd: EtcdCluster, old: TestUpstream, new: TestUpstream, percent: Int, prefix: String, extra: String) -> String {
        """
        version: 1
        listen: 127.0.0.1:0
        admin:
          listen: 127.0.0.1:0
        upstreams:
          old:
            url: \(old.url)
          new:
            url: \(new.url)
            timeout: 2s
        routes:
          - path_prefix: /checkout
        flag:
          key: new-checkout
          enabled: true
          percent: \(percent)
        state:
          etcd:
            endpoints: [\(etcd.endpoints.joined(separator: ", "))]
            prefix: \(prefix)
            timeout: 500ms
        access_log: false
        \(extra)
        """
    }

    func launchReplica(environment: [String: String] = [:]) async throws -> GatewayProcess {
        let replica = try await GatewayProcess.launch(
            arguments: ["serve", "--config", configPath, "--shutdown-grace", "1"], environment: environment)
        launched.withLockedValue { $0.append(replica) }
        return replica
    }

    /// Ends every replica still running at once (for `defer`, whatever the test's outcome).
    func killAll() {
        for replica in launched.withLockedValue({ $0 }) where replica.process.isRunning {
            replica.signal(SIGKILL)
            replica.process.waitUntilExit()
        }
    }

    func variant(_ gateway: GatewayProcess, user: String = "shopper") async throws -> String? {
        try await TestClient.send(port: gateway.publicPort, path: "/checkout", headers: [("X-User-Id", user)]).header("X-Checkout-Variant")
    }

    func admin(_ gateway: GatewayProcess, _ path: String) async throws -> TestResponse {
        try await TestClient.send(port: gateway.adminPort, method: .POST, path: path, body: [])
    }

    func status(_ gateway: GatewayProcess) async throws -> [String: Any] {
        let response = try await TestClient.send(port: gateway.adminPort, path: "/status")
        return try JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any] ?? [:]
    }

    /// Polls `condition` until it holds; returns how long that took, or throws after `limit`.
    @discardableResult
    func waitUntil(_ what: String, within limit: Duration, _ condition: () async throws -> Bool) async throws -> Duration {
        let started = ContinuousClock.now
        while ContinuousClock.now - started < limit {
            if try await condition() { return ContinuousClock.now - started }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw WaitTimeout(what: "\(what) within \(limit)")
    }

    func stop(_ gateways: [GatewayProcess]) async {
        for gateway in gateways where gateway.process.isRunning {
            gateway.signal(SIGTERM)
            _ = try? await gateway.exitStatus()
        }
        await old.shutdown()
        await new.shutdown()
    }
}
