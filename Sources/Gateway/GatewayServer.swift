import Foundation
import GatewayCore
import Logging
import NIOCore
import NIOPosix

/// A running gateway: the public listener's workers, the admin listener and the live config.
/// What `serve` and `demo` start and what the integration tests start, so tests run what users
/// run. `GatewayService` adds reload watching and graceful shutdown on top.
public final class GatewayServer: Sendable {
    let runtime: GatewayRuntime
    private let workers: WorkerPool
    private let adminChannel: any Channel
    /// With `state.etcd`: the replica's heartbeat, election and watch.
    private let fleet: FleetCoordinator?
    private let ownsGroup: Bool
    private let group: any EventLoopGroup
    /// With tracing on: the span exporter, stopped after the drain.
    private let spanExport: SpanExport?

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
        workers: Int? = nil,
        adminLimits: AdminLimits = AdminLimits()
    ) async throws -> GatewayServer {
        let loaded = try ConfigLoader.read(path: configPath)
        return try await start(
            config: loaded.config, configPath: configPath, sourceSHA: loaded.sha256, sourceStamp: loaded.stamp, environment: environment,
            logger: logger, accessLogger: accessLogger, group: group, workers: workers, adminLimits: adminLimits
        )
    }

    /// Serves a config that is already loaded. Without `configPath` there is nothing to reload.
    /// The public listener runs `workers` share-nothing worker threads (default: one per core);
    /// the admin listener runs on `group`, or on one event loop of its own.
    public static func start(
        config: GatewayConfig,
        configPath: String? = nil,
        sourceSHA: String = "",
        sourceStamp: FileStamp? = nil,
        environment: [String: String] = ProcessInfo.processInfo.environment,
        logger: Logger = Logger(label: "checkout-gateway"),
        accessLogger: Logger? = nil,
        group: (any EventLoopGroup)? = nil,
        workers: Int? = nil,
        adminLimits: AdminLimits = AdminLimits()
    ) async throws -> GatewayServer {
        let eventLoops = group ?? MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let runtime = GatewayRuntime(
            config: config, configPath: configPath, sourceSHA: sourceSHA, sourceStamp: sourceStamp, environment: environment,
            logger: logger, accessLog: accessLogger.map(AccessLog.init(logger:))
        )
        var fleet: FleetCoordinator?
        if let etcd = runtime.store as? EtcdStateStore {
            fleet = FleetCoordinator(runtime: runtime, store: etcd)
            await fleet?.start()
        }
        var pool: WorkerPool?
        do {
            let workerPool: WorkerPool
            do {
                workerPool = try WorkerPool(address: config.listen, count: max(1, workers ?? System.coreCount), runtime: runtime, logger: logger)
            } catch {
                throw ListenError(address: config.listen.description, setting: "listen", reason: error.reason)
            }
            pool = workerPool
            let adminChannel = try await ListenError.naming(config.admin.listen.description, "admin.listen") {
                try await AdminListener.bind(address: config.admin.listen, runtime: runtime, limits: adminLimits, group: eventLoops)
            }
            let server = GatewayServer(
                runtime: runtime, workers: workerPool, adminChannel: adminChannel, fleet: fleet, group: eventLoops, ownsGroup: group == nil
            )
            logger.info(
                "gateway listening",
                metadata: [
                    "listen": "\(config.listen.host):\(server.publicPort)",
                    "workers": "\(workerPool.count)",
                    "admin": "\(config.admin.listen.host):\(server.adminPort)",
                    "old": "\(config.upstreams.old.url)",
                    "new": "\(config.upstreams.new.url)",
                    "flag": "\(config.flag.key)",
                    "enabled": "\(config.flag.enabled)",
                    "percent": "\(config.flag.percent)",
                ])
            return server
        } catch {
            await pool?.shutdown(grace: .zero, logger: logger) { runtime.connections.current }
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
        runtime: GatewayRuntime, workers: WorkerPool, adminChannel: any Channel, fleet: FleetCoordinator?, group: any EventLoopGroup, ownsGroup: Bool
    ) {
        self.fleet = fleet
        self.runtime = runtime
        self.workers = workers
        self.adminChannel = adminChannel
        self.publicPort = workers.port
        self.adminPort = adminChannel.localAddress?.port ?? 0
        self.group = group
        self.ownsGroup = ownsGroup
        self.spanExport = runtime.tracer.map { SpanExport($0.exporter, logger: runtime.logger) }
    }

    /// Graceful stop: `/readyz` turns 503, the public listener stops accepting, each connection
    /// finishes the response in flight and closes; after `grace` the rest are closed. Then the
    /// admin listener and the upstream clients stop.
    public func shutdown(grace: Duration = .zero) async {
        runtime.beginDraining()
        let connections = runtime.connections
        runtime.logger.notice("draining", metadata: ["open_connections": "\(connections.current)", "grace": "\(grace)"])
        await workers.shutdown(grace: grace, logger: runtime.logger) { connections.current }
        try? await adminChannel.close()
        let (fleet, runtime) = (fleet, runtime)
        await Blocking.run {
            fleet?.stop()
            runtime.shutdown()
        }
        await spanExport?.stop()
        if ownsGroup { try? await group.shutdownGracefully() }
        runtime.logger.notice("stopped")
    }
}
