import GatewayCore
import Logging
import ServiceLifecycle
import UnixSignals

/// The gateway as a swift-service-lifecycle `Service`: while it runs, the config file is checked
/// every `pollInterval` and reloaded at once on SIGHUP, and the ramp (schedule and guardrails)
/// is evaluated every `rampInterval`; on graceful shutdown (SIGTERM, SIGINT) it drains within
/// `shutdownGrace`.
public struct GatewayService: Service {
    public let gateway: GatewayServer
    public var pollInterval: Duration
    public var rampInterval: Duration
    public var shutdownGrace: Duration

    public init(
        gateway: GatewayServer, pollInterval: Duration = .seconds(1), rampInterval: Duration = .seconds(1),
        shutdownGrace: Duration = .seconds(30)
    ) {
        self.gateway = gateway
        self.pollInterval = pollInterval
        self.rampInterval = rampInterval
        self.shutdownGrace = shutdownGrace
    }

    /// Runs the gateway in a service group until SIGTERM or SIGINT, then drains it.
    public static func runUntilTerminated(_ gateway: GatewayServer, pollInterval: Duration, shutdownGrace: Duration) async throws {
        let service = GatewayService(gateway: gateway, pollInterval: pollInterval, shutdownGrace: shutdownGrace)
        let group = ServiceGroup(
            services: [service], gracefulShutdownSignals: [.sigterm, .sigint], logger: Logger(label: "checkout-gateway.lifecycle")
        )
        try await group.run()
    }

    public func run() async throws {
        let runtime = gateway.runtime
        let interval = pollInterval
        let rampInterval = rampInterval
        await withDiscardingTaskGroup { group in
            group.addTask {
                while !Task.isCancelled {
                    try? await Task.sleep(for: rampInterval)
                    if Task.isCancelled { break }
                    // With etcd the fleet coordinator runs the ramp, on the fleet's windows.
                    if runtime.store is FileStateStore { runtime.superviseRamp(windows: runtime.localWindows(), leading: true) }
                }
            }
            if runtime.configInfo.path != nil {
                group.addTask {
                    while !Task.isCancelled {
                        try? await Task.sleep(for: interval)
                        if Task.isCancelled { break }
                        _ = await Blocking.run { runtime.reload(force: false) }
                    }
                }
                group.addTask {
                    for await _ in await UnixSignalsSequence(trapping: .sighup) {
                        runtime.logger.notice("SIGHUP: reloading the config")
                        _ = await Blocking.run { runtime.reload(force: true) }
                    }
                }
            }
            try? await gracefulShutdown()
            group.cancelAll()
        }
        await gateway.shutdown(grace: shutdownGrace)
    }
}
