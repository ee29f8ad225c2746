import GatewayCore
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix

/// Binds the public listener: HTTP/1.1 with keep-alive and pipelining, the decoder limits of
/// `limits`, the connection cap, and one `ProxyConnectionHandler` per connection.
enum PublicListener {
    static func bind(
        address: HostPort, runtime: GatewayRuntime, connections: ConnectionRegistry, group: any EventLoopGroup, logger: Logger
    ) async throws -> any Channel {
        let limits = runtime.snapshot().active.config.limits
        let decoderLimits = decoderLimits(for: limits)
        return try await ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 1024)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .serverChannelInitializer { channel in
                // Out of descriptors (EMFILE), accepting again at once would spin the CPU.
                channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(AcceptBackoffHandler()) }
            }
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelOption(.maxMessagesPerRead, value: 16)
            .childChannelInitializer { channel in
                guard connections.register(channel) else {
                    runtime.recorder.metrics.connectionRefused()
                    logger.warning("connection refused: limits.max_connections reached", metadata: ["max_connections": "\(connections.maximum)"])
                    return channel.close()
                }
                return channel.eventLoop.makeCompletedFuture {
                    let sync = channel.pipeline.syncOperations
                    let activity = ByteActivityHandler()
                    try sync.addHandler(activity)
                    // Response headers are checked where they enter (libcurl's header callback
                    // rejects control characters and non-token names), so NIO's per-write
                    // validation would check them twice.
                    try sync.configureHTTPServerPipeline(
                        withPipeliningAssistance: false,
                        withErrorHandling: false,
                        withOutboundHeaderValidation: false,
                        withEncoderConfiguration: .init(),
                        withDecoderLimitConfiguration: decoderLimits
                    )
                    try sync.addHandler(ProxyConnectionHandler(runtime: runtime, activity: activity, logger: logger))
                }
            }
            .bind(host: address.host, port: address.port)
            .get()
    }

    /// The parser's own caps sit just above ours so that our checks answer 414 and 431 precisely,
    /// while a head far past them is still cut off by the parser before it is buffered whole.
    private static func decoderLimits(for limits: Limits) -> NIOHTTPDecoderLimitConfiguration {
        var decoderLimits = NIOHTTPDecoderLimitConfiguration()
        decoderLimits.maxHeaderFieldSize = max(limits.maxHeaderBytes, limits.maxURIBytes) + 1024
        decoderLimits.maxHeaderListSize = limits.maxHeaderBytes + limits.maxURIBytes + 1024
        return decoderLimits
    }
}
