import NIOCore
import Gateway
import GatewayCore
import Logging
import NIOPosix

/// A gateway on an ephemeral loopback port between two real test upstreams, old and new.
struct Harness {
    let old: TestUpstream
    let new: TestUpstream
    let gateway: GatewayServer
    /// The config the gateway was started with.
    let config: GatewayConfig
    var port: Int { gateway.publicPort }

    static let testToken = "test-token-123"

    /// The config every integration test starts from: routes for /checkout and /api/checkout,
    /// the flag on at 0%, short upstream timeouts so hangs are quick to observe.
    static func baseConfig(old: TestUpstream, new: TestUpstream) -> GatewayConfig {
        var upstreams = Upstreams(
            old: .oldDefaults(url: UpstreamURL(old.url)!),
            new: .newDefaults(url: UpstreamURL(new.url)!)
        )
        upstreams.old.timeout = .seconds(2)
        upstreams.new.timeout = .milliseconds(400)
        var flag = FlagConfig(key: "new-checkout")
        flag.enabled = true
        flag.testOverride = TestOverride()
        var config = GatewayConfig(upstreams: upstreams, flag: flag)
        config.listen = HostPort(host: "127.0.0.1", port: 0)
        config.routes = [Route(pathPrefix: "/checkout"), Route(pathPrefix: "/api/checkout")]
        config.accessLog = false
        return config
    }

    static func with<T: Sendable>(
        configure: (inout GatewayConfig) -> Void = { _ in },
        _ body: (Harness) async throws -> T
    ) async throws -> T {
        let old = try await TestUpstream.start("old")
        let new = try await TestUpstream.start("new")
        var config = baseConfig(old: old, new: new)
        configure(&config)
        var logger = Logger(label: "test-gateway")
        logger.logLevel = .critical
        let gateway = try await GatewayServer.start(
            config: config, environment: ["GATEWAY_TEST_TOKEN": testToken], logger: logger, group: MultiThreadedEventLoopGroup.singleton
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
        try? await gateway.shutdown()
        await old.shutdown()
        await new.shutdown()
    }

    func get(_ path: String, headers: [(String, String)] = []) async throws -> TestResponse {
        try await TestClient.send(port: port, path: path, headers: headers)
    }
}

/// A loopback port nothing listens on: bound once, then closed.
func closedPort() async throws -> Int {
    let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton).bind(host: "127.0.0.1", port: 0).get()
    let port = channel.localAddress!.port!
    try await channel.close()
    return port
}
