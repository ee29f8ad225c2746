import Logging
import ServiceLifecycle

/// Runs the tracer's exporter (swift-otel's batch processor and OTLP/HTTP client) for as long as
/// the gateway serves: started with the server, stopped after its drain, so the spans of the
/// last requests are flushed too. A service group of its own, detached from any caller's, so a
/// SIGTERM drains the gateway before it stops the exporter.
final class SpanExport: Sendable {
    private let group: ServiceGroup
    private let task: Task<Void, Never>

    init(_ exporter: any Service, logger: Logger) {
        let group = ServiceGroup(configuration: .init(services: [.init(service: exporter)], logger: logger))
        self.group = group
        task = Task.detached {
            do {
                try await group.run()
            } catch {
                logger.warning("the span exporter stopped", metadata: ["error": "\(error)"])
            }
        }
    }

    /// Flushes what waits and stops.
    func stop() async {
        await group.triggerGracefulShutdown()
        await task.value
    }
}
