import Logging

/// A swift-log handler that hands each message to a `LineWriter`, so logging never blocks the
/// thread that logs. `raw` writes the message alone (the access log's JSON lines); otherwise
/// the line carries time, level, label and the metadata as `key=value` pairs.
public struct QueuedLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level = .info
    private let writer: LineWriter
    private let label: String
    private let raw: Bool

    public init(label: String, writer: LineWriter, raw: Bool = false, level: Logger.Level = .info) {
        self.label = label
        self.writer = writer
        self.raw = raw
        self.logLevel = level
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        if raw {
            writer.write(event.message.description)
            return
        }
        var line = "\(LogTime.now()) \(event.level) \(label): \(event.message)"
        var all = metadata
        if let extra = event.metadata { all.merge(extra) { _, new in new } }
        for (key, value) in all.sorted(by: { $0.key < $1.key }) {
            line += " \(key)=\(value)"
        }
        writer.write(line)
    }
}
