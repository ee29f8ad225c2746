/// `notify`: webhooks told about the rollout's events (a step, a gate waiting, a breach, a
/// latch, kill, resume, abort, promote, a rejected reload).
public struct NotifyTarget: Sendable, Equatable {
    public enum Format: String, Sendable, CaseIterable {
        /// `{"event", "flag", "message", "time", "replica"}`.
        case json
        /// A Slack incoming webhook: `{"text": "…"}`.
        case slack
    }

    /// Where the message is POSTed (`http://` or `https://`, as written).
    public var url: String
    /// The events sent to this target; all when the config does not list them.
    public var events: Set<NotificationEvent>
    public var format: Format

    public init(url: String, events: Set<NotificationEvent> = Set(NotificationEvent.allCases), format: Format = .json) {
        self.url = url
        self.events = events
        self.format = format
    }
}

public enum NotificationEvent: String, Sendable, CaseIterable, Hashable {
    /// The schedule entered a step.
    case step
    /// A step with `approve: true` waits for a promote.
    case approval
    /// The guardrails judged a breach (with `action: pause`, the ramp holds).
    case breach
    /// The guardrails latched a rollback.
    case latch
    case kill
    case resume
    case abort
    case promote
    /// A reload found an invalid config and kept the running one.
    case reloadRejected = "reload_rejected"
}

extension ConfigDecoder {
    mutating func notifySection(_ node: YAMLNode) -> [NotifyTarget] {
        guard let items = list(node, "notify") else { return [] }
        var targets: [NotifyTarget] = []
        for (index, item) in items.enumerated() {
            let path = "notify[\(index)]"
            guard let map = mapping(item, path, allowed: ["url", "events", "format"]) else { continue }
            let url = required(map["url"], in: map, "\(path).url").flatMap { httpURL($0, "\(path).url")?.text }
            var target = NotifyTarget(url: url ?? "")
            if let eventNodes = map["events"].flatMap({ list($0, "\(path).events") }) {
                target.events = []
                for eventNode in eventNodes {
                    guard let name = string(eventNode, "\(path).events") else { continue }
                    guard let event = NotificationEvent(rawValue: name) else {
                        let names = NotificationEvent.allCases.map(\.rawValue).joined(separator: ", ")
                        fail(eventNode.mark, "\(path).events: unknown event '\(name)'; expected one of: \(names)")
                        continue
                    }
                    target.events.insert(event)
                }
            }
            if let formatNode = map["format"], let name = string(formatNode, "\(path).format") {
                if let format = NotifyTarget.Format(rawValue: name) {
                    target.format = format
                } else {
                    fail(formatNode.mark, "\(path).format must be json or slack, got \(name)")
                }
            }
            if url != nil { targets.append(target) }
        }
        return targets
    }
}
