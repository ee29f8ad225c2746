import Logging
import NIOConcurrencyHelpers

/// A swift-log handler that keeps every message, for asserting on log output.
struct CapturingLogHandler: LogHandler {
    let messages: NIOLockedValueBox<[String]>
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        messages.withLockedValue { $0.append(event.message.description) }
    }

    static func logger() -> (Logger, NIOLockedValueBox<[String]>) {
        let messages = NIOLockedValueBox([String]())
        return (Logger(label: "capture") { _ in CapturingLogHandler(messages: messages) }, messages)
    }
}
