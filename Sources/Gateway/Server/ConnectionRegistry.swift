import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1

/// The open client connections of the public listener: enforces `limits.max_connections`,
/// feeds `gateway_open_connections`, and lets a graceful shutdown ask each one to finish its
/// request and close.
final class ConnectionRegistry: Sendable {
    private let channels = NIOLockedValueBox([ObjectIdentifier: any Channel]())
    let maximum: Int
    private let onChange: @Sendable (Int) -> Void

    init(maximum: Int, onChange: @escaping @Sendable (Int) -> Void) {
        self.maximum = maximum
        self.onChange = onChange
    }

    /// Registers the channel, or returns false when the cap is reached.
    func register(_ channel: any Channel) -> Bool {
        let count = channels.withLockedValue { channels -> Int? in
            guard channels.count < maximum else { return nil }
            channels[ObjectIdentifier(channel)] = channel
            return channels.count
        }
        guard let count else { return false }
        onChange(count)
        channel.closeFuture.whenComplete { _ in
            let remaining = self.channels.withLockedValue { channels -> Int in
                channels.removeValue(forKey: ObjectIdentifier(channel))
                return channels.count
            }
            self.onChange(remaining)
        }
        return true
    }

    var count: Int { channels.withLockedValue { $0.count } }

    /// Idle connections close at once; busy ones after the response in flight.
    func quiesceAll() {
        for channel in channels.withLockedValue({ Array($0.values) }) {
            channel.pipeline.fireUserInboundEventTriggered(ChannelShouldQuiesceEvent())
        }
    }

    func closeAll() {
        for channel in channels.withLockedValue({ Array($0.values) }) {
            channel.close(promise: nil)
        }
    }
}
