import Foundation
import GatewayCore
import Logging
import NIOCore
import NIOPosix

/// A running gateway: the public and admin listeners, the upstream clients and the live config.
/// What `serve` and `demo` start and what the integration tests start, so tests run what users
/// run. `GatewayService` adds reload watching and graceful shutdown on top.
public final class GatewayServer: Sendable {
    let runtime: GatewayRuntime
    private let publicChannel: any Channel
    private let adminChannel: any Channel
    private let connections: ConnectionRegistry
    /// With `state.etcd`: the replica's heartbeat, election and watch.
    private let fleet: FleetCoordinator?
    private let ownsGroup: Bool
    private let group: any EventLoopGroup

    /// The ports the listeners are bound to (useful when the config says port 0).
    public let publicPort: Int
    public let adminPort: Int

    /// Reads, validates and serves the config file; the file is then watched for changes.
    public static func start(
        configPath: String,
        environment: [String: String] = ProcessInfo.processInfo.environment,
        logger: Logger = Logger(label: "checkout-gateway"),
        accessLogger: Logger? = nil,
        group: (any EventLoopGroup)? = nil,
        eventLoopThreads: Int? = nil,
        adminLimits: AdminLimits = AdminLimits()
    ) async throws -> GatewayServer {
        let loaded = try ConfigLoader.read(path: configPath)
        return try await start(
            config: loaded.config, configPath: configPath, sourceSHA: loaded.sha256, sourceStamp: loaded.stamp, environment: environment,
            logger: logger, accessLogger: accessLogger, group: group, eventLoopThreads: eventLoopThreads, adminLimits: adminLimits
        )
    }

    /// Serves a config that is already loaded. Without `configPath` there is nothing to reload.
    /// Without `group` the gateway runs its own event loops, `eventLoopThreads` of them (default:
    /// one per core).
    public static func start(
        config: GatewayConfig,
        configPath: String? = nil,
        sourceSHA: String = "",
        sourceStamp: FileStamp? = nil,
        environment: [String: String] = ProcessInfo.processInfo.environment,
        logger: Logger = Logger(label: "checkout-gateway"),
        accessLogger: Logger? = nil,
        group: (any EventLoopGroup)? = nil,
        eventLoopThreads: Int? = nil,
        adminLimits: AdminLimits = AdminLimits()
    ) async throws -> GatewayServer {
        let eventLoops = group ?? MultiThreadedEventLoopGroup(numberOfThreads: max(1, eventLoopThreads ?? System.coreCount))
        let runtime = GatewayRuntime(
            config: config, configPath: configPath, sourceSHA: sourceSHA, sourceStamp: sourceStamp, environment: environment,
            logger: logger, accessLog: accessLogger.map(AccessLog.init(logger:))
        )
        var fleet: FleetCoordinator?
        if let etcd = runtime.store as? EtcdStateStore {
            fleet = FleetCoordinator(runtime: runtime, store: etcd)
            await fleet?.start()
        }
        let metrics = runtime.recorder.metrics
        let connections = ConnectionRegistry(maximum: config.limits.maxConnections) { count in
            metrics.setOpenConnections(count)
        }
        var bound: [any Channel] = []
        do {
            let publicChannel = try await ListenError.naming(config.listen.description, "listen") {
                try await PublicListener.bind(address: config.listen, runtime: runtime, connections: connections, group: eventLoops, logger: logger)
            }
            bound.append(publicChannel)
            let adminChannel = try await ListenError.naming(config.admin.listen.description, "admin.listen") {
                try await AdminListener.bind(address: config.admin.listen, runtime: runtime, limits: adminLimits, group: eventLoops)
            }
            bound.append(adminChannel)
            let server = GatewayServer(
                runtime: runtime, publicChannel: publicChannel, adminChannel: adminChannel, connections: connections, fleet: fleet,
                group: eventLoops, ownsGroup: group == nil
            )
            logger.info(
                "gateway listening",
                metadata: [
                    "listen": "\(config.listen.host):\(server.publicPort)",
                    "admin": "\(config.admin.listen.host):\(server.adminPort)",
                    "old": "\(config.upstreams.old.url)",
                    "new": "\(config.upstreams.new.url)",
                    "flag": "\(config.flag.key)",
                    "enabled": "\(config.flag.enabled)",
                    "percent": "\(config.flag.percent)",
                ])
            return server
        } catch {
            for channel in bound { try? await channel.close() }
            let stoppedFleet = fleet
            await Blocking.run {
                stoppedFleet?.stop()
                runtime.shutdown()
            }
            if group == nil { try? await eventLoops.shutdownGracefully() }
            throw error
        }
    }

    private init(
        runtime: GatewayRuntime, publicChannel: any Channel, adminChannel: any Channel, connections: ConnectionRegistry, fleet: FleetCoordinator?,
        group: any EventLoopGroup, ownsGroup: Bool
    ) {
        self.fleet = fleet
        self.runtime = runtime
        self.publicChannel = publicChannel
        self.adminChannel = adminChannel
        self.connections = connections
        self.publicPort = publicChannel.localAddress?.port ?? 0
        self.adminPort = adminChannel.localAddress?.port ?? 0
        self.group = group
        self.ownsGroup = ownsGroup
    }

    /// Graceful stop: `/readyz` turns 503, the public listener stops accepting, each connection
    /// finishes the response in flight and closes; after `grace` the rest are closed. Then the
    /// admin listener and the upstream clients stop.
    public func shutdown(grace: Duration = .zero) async {
        runtime.beginDraining()
        runtime.logger.notice("draining", metadata: ["open_connections": "\(connections.count)", "grace": "\(grace)"])
        try? await publicChannel.close()
        connections.quiesceAll()
        let deadline = ContinuousClock.now + grace
        while connections.count > 0 && ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(20))
        }
        if connections.count > 0 {
            runtime.logger.warning("grace period over; closing the remaining connections", metadata: ["open_connections": "\(connections.count)"])
            connections.closeAll()
        }
        try? await adminChannel.close()
        let (fleet, runtime) = (fleet, runtime)
        await Blocking.run {
            fleet?.stop()
            runtime.shutdown()
        }
        if ownsGroup { try? await group.shutdownGracefully() }
        runtime.logger.notice("stopped")
    }
}
