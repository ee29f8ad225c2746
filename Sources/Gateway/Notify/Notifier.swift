import Foundation
import GatewayCore
import Logging

/// Sends the rollout's events to the `notify` webhooks: one POST per event and target, with
/// libcurl from a thread of its own, so a slow or dead webhook never delays a request, the ramp
/// or an admin call. Each message is tried once plus `retryDelays.count` times with growing
/// pauses, each try bounded by `timeout`; the outcome is counted in
/// `gateway_notifications_total{result="sent|failed|dropped"}`.
///
/// Each target has its own queue and thread, so a dead webhook delays only its own messages.
/// At most `capacity` messages wait per target; past that new ones are dropped and counted. A
/// target's thread runs only while its messages wait.
///
/// `@unchecked Sendable`: `queues` is only touched while holding `condition`.
final class Notifier: @unchecked Sendable {
    struct Message {
        var url: String
        var body: Data
        var event: NotificationEvent
    }

    /// The JSON format's body (`format: json`).
    struct JSONBody: Encodable {
        var event: String
        var flag: String
        var message: String
        var time: Date
        var replica: String
    }

    /// A Slack incoming webhook's body (`format: slack`).
    struct SlackBody: Encodable {
        var text: String
    }

    static let capacity = 256
    private let condition = NSCondition()
    /// Waiting messages per target URL; a URL has a thread exactly while it has an entry.
    private var queues: [String: [Message]] = [:]
    private let metrics: GatewayMetrics
    private let logger: Logger
    let retryDelays: [Duration]
    let timeout: Duration

    init(metrics: GatewayMetrics, logger: Logger, retryDelays: [Duration] = [.seconds(1), .seconds(2), .seconds(4)], timeout: Duration = .seconds(5))
    {
        self.metrics = metrics
        self.logger = logger
        self.retryDelays = retryDelays
        self.timeout = timeout
    }

    /// Queues `event` for every target that wants it; returns at once.
    func send(_ event: RolloutEvents.Event, flag: String, replica: String, targets: [NotifyTarget], at time: Date = Date()) {
        let wanted = targets.filter { $0.events.contains(event.kind) }
        guard !wanted.isEmpty else { return }
        let messages = wanted.map { target in
            Message(url: target.url, body: Self.body(event, flag: flag, replica: replica, format: target.format, at: time), event: event.kind)
        }
        var dropped = 0
        var start: [String] = []
        condition.lock()
        for message in messages {
            if let waiting = queues[message.url] {
                if waiting.count < Self.capacity { queues[message.url]!.append(message) } else { dropped += 1 }
            } else {
                queues[message.url] = [message]
                start.append(message.url)
            }
        }
        condition.unlock()
        if dropped > 0 { metrics.notification(result: "dropped", count: dropped) }
        for url in start {
            let thread = Thread { [self] in drain(url) }
            thread.name = "notify"
            thread.start()
        }
    }

    /// The message in the target's format, in the admin listener's one JSON style.
    static func body(_ event: RolloutEvents.Event, flag: String, replica: String, format: NotifyTarget.Format, at time: Date) -> Data {
        switch format {
        case .json:
            return Data(AdminJSON.encode(JSONBody(event: event.kind.rawValue, flag: flag, message: event.message, time: time, replica: replica)))
        case .slack:
            return Data(AdminJSON.encode(SlackBody(text: event.message)))
        }
    }

    private func drain(_ url: String) {
        while let message = next(url) {
            deliver(message)
        }
    }

    /// The target's next message, or nil (and the target's entry gone) when none waits.
    private func next(_ url: String) -> Message? {
        condition.lock()
        defer { condition.unlock() }
        guard let message = queues[url]?.first else {
            queues[url] = nil
            return nil
        }
        queues[url]!.removeFirst()
        return message
    }

    private func deliver(_ message: Message) {
        var failure = ""
        for attempt in 0...retryDelays.count {
            if attempt > 0 { Thread.sleep(forTimeInterval: retryDelays[attempt - 1].seconds) }
            do {
                let response = try SimpleHTTPClient.request(
                    method: "POST", url: message.url, headers: [("Content-Type", "application/json")], body: message.body, timeout: timeout)
                if (200...299).contains(response.status) {
                    metrics.notification(result: "sent", count: 1)
                    return
                }
                failure = "answered \(response.status)"
            } catch {
                failure = "\(error)"
            }
        }
        metrics.notification(result: "failed", count: 1)
        logger.warning(
            "notification not delivered", metadata: ["event": "\(message.event.rawValue)", "url": "\(message.url)", "error": "\(failure)"])
    }
}
