import Foundation
import Gateway
import GatewayCore
import Glibc
import Logging
import NIOCore
import NIOPosix

/// A gateway on an ephemeral loopback port between two real test upstreams, old and new.
struct Harness {
    let old: TestUpstream
    let new: TestUpstream
    let gateway: GatewayServer
    /// The config the gateway was started with.
    let config: GatewayConfig
    var port: Int { gateway.publicPort }
    var adminPort: Int { gateway.adminPort }

    static let testToken = "test-token-123"

    /// The config every integration test starts from: routes for /checkout and /api/checkout,
    /// the flag on at 0%.
    static func baseConfig(old: TestUpstream, new: TestUpstream) -> GatewayConfig {
        var upstreams = Upstreams(
            old: .oldDefaults(url: UpstreamURL(old.url)!),
            new: .newDefaults(url: UpstreamURL(new.url)!)
        )
        // Generous: the suite runs many gateways, upstreams and etcd members at once on two
        // cores. Tests of timeouts set short ones themselves.
        upstreams.old.timeout = .seconds(5)
        upstreams.new.timeout = .seconds(5)
        var flag = FlagConfig(key: "new-checkout")
        flag.enabled = true
        flag.testOverride = TestOverride()
        var config = GatewayConfig(upstreams: upstreams, flag: flag)
        config.listen = HostPort(host: "127.0.0.1", port: 0)
        config.admin.listen = HostPort(host: "127.0.0.1", port: 0)
        config.stateFile = TemporaryFiles.path("state.json")
        config.routes = [Route(pathPrefix: "/checkout"), Route(pathPrefix: "/api/checkout")]
        config.accessLog = false
        return config
    }

    static func with<T: Sendable>(
        configure: (inout GatewayConfig) -> Void = { _ in },
        accessLogger: Logger? = nil,
        adminLimits: AdminLimits = AdminLimits(),
        workers: Int? = nil,
        _ body: (Harness) async throws -> T
    ) async throws -> T {
        let old = try await TestUpstream.start("old")
        let new = try await TestUpstream.start("new")
        var config = baseConfig(old: old, new: new)
        configure(&config)
        var logger = Logger(label: "test-gateway")
        logger.logLevel = .critical
        let gateway = try await GatewayServer.start(
            config: config, environment: ["GATEWAY_TEST_TOKEN": testToken], logger: logger, accessLogger: accessLogger,
            group: MultiThreadedEventLoopGroup.singleton, workers: workers, adminLimits: adminLimits
        )
        let harness = Harness(old: old, new: new, gateway: gateway, config: config)
        do {
            let result = try await body(harness)
            await harness.shutdown()
            return result
        } catch {
            await harness.shutdown()
            throw error
        }
    }

    private func shutdown() async {
        await gateway.shutdown()
        await old.shutdown()
        await new.shutdown()
    }

    func get(_ path: String, headers: [(String, String)] = []) async throws -> TestResponse {
        try await TestClient.send(port: port, path: path, headers: headers)
    }
}

/// Unique paths under the system's temporary directory, one folder per test process.
enum TemporaryFiles {
    static let directory: String = {
        let path = NSTemporaryDirectory() + "checkout-gateway-tests-\(getpid())"
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }()

    static func path(_ name: String) -> String {
        "\(directory)/\(RandomSuffix.make())-\(name)"
    }
}

enum RandomSuffix {
    static func make() -> String { String(UInt64.random(in: 0...UInt64.max), radix: 36) }
}

/// A loopback port that refuses connections: bound (so no other test can take it) but never
/// listening. Held until the test calls `close()`.
final class RefusingPort: Sendable {
    let port: Int
    private let descriptor: Int32

    init() throws {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let named = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) }
        }
        guard descriptor >= 0, bound == 0, named == 0 else { throw RefusingPortError() }
        self.descriptor = descriptor
        port = Int(UInt16(bigEndian: address.sin_port))
    }

    var url: UpstreamURL { UpstreamURL("http://127.0.0.1:\(port)")! }

    func close() {
        Glibc.close(descriptor)
    }
}

struct RefusingPortError: Error {}

/// Timeouts that tests set short on purpose, stretched by `GATEWAY_TEST_SLOWDOWN` (e.g. 10 for
/// a ThreadSanitizer build, `scripts/tsan`), so an instrumented build times out only what the
/// test means to time out.
enum TestTiming {
    static let slowdown: Int64 = ProcessInfo.processInfo.environment["GATEWAY_TEST_SLOWDOWN"].flatMap(Int64.init).map { max(1, $0) } ?? 1

    static func scaled(_ duration: Duration) -> Duration {
        duration * slowdown
    }
}
