import Foundation
import GatewayCore
import Logging
import NIOCore
import NIOPosix

/// A running gateway: the public listener, the upstream clients and the live config. What the
/// `serve` command and the integration tests start, so tests run what users run.
public final class GatewayServer: Sendable {
    private let runtime: GatewayRuntime
    private let publicChannel: any Channel
    private let ownsGroup: Bool
    private let group: any EventLoopGroup
    private let logger: Logger

    /// The port the public listener is bound to (useful when the config says port 0).
    public let publicPort: Int

    /// Loads nothing itself: the caller passes a validated config. `environment` supplies the
    /// token variables named in the config.
    public static func start(
        config: GatewayConfig,
        environment: [String: String] = ProcessInfo.processInfo.environment,
        logger: Logger = Logger(label: "checkout-gateway"),
        group: (any EventLoopGroup)? = nil
    ) async throws -> GatewayServer {
        let eventLoops = group ?? MultiThreadedEventLoopGroup(numberOfThreads: System.coreCount)
        let active = ActiveConfig(config: config, environment: environment)
        let runtime = GatewayRuntime(active: active)
        let limiter = ConnectionLimiter(maximum: config.limits.maxConnections)
        do {
            let channel = try await PublicListener.bind(
                address: config.listen, runtime: runtime, limiter: limiter, group: eventLoops, logger: logger
            )
            let port = channel.localAddress?.port ?? config.listen.port
            logger.info("gateway listening", metadata: [
                "listen": "\(config.listen.host):\(port)",
                "old": "\(config.upstreams.old.url)",
                "new": "\(config.upstreams.new.url)",
                "flag": "\(config.flag.key)",
                "enabled": "\(config.flag.enabled)",
                "percent": "\(config.flag.percent)",
            ])
            return GatewayServer(runtime: runtime, channel: channel, port: port, group: eventLoops, ownsGroup: group == nil, logger: logger)
        } catch {
            active.shutdown()
            if group == nil { try? await eventLoops.shutdownGracefully() }
            throw error
        }
    }

    private init(runtime: GatewayRuntime, channel: any Channel, port: Int, group: any EventLoopGroup, ownsGroup: Bool, logger: Logger) {
        self.runtime = runtime
        self.publicChannel = channel
        self.publicPort = port
        self.group = group
        self.ownsGroup = ownsGroup
        self.logger = logger
    }

    /// Completes when the public listener closes.
    public func waitUntilClosed() async throws {
        try await publicChannel.closeFuture.get()
    }

    /// Stops accepting, closes the listener and the upstream clients.
    public func shutdown() async throws {
        try? await publicChannel.close()
        runtime.snapshot().active.shutdown()
        if ownsGroup { try await group.shutdownGracefully() }
    }
}
