import GatewayCore
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix

/// Binds the public listener: HTTP/1.1 with keep-alive and pipelining through the gateway's own
/// request parser, the connection cap, and one `ProxyConnectionHandler` per connection.
enum PublicListener {
    static func bind(
        address: HostPort, runtime: GatewayRuntime, connections: ConnectionRegistry, group: any EventLoopGroup, logger: Logger
    ) async throws -> any Channel {
        try await ServerBootstrap(group: group)
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
                    let decoder = RequestDecoder(limits: runtime.snapshot().active.config.limits)
                    // Response headers are checked where they enter (libcurl's header callback
                    // rejects control characters and non-token names), so the encoder does not
                    // check them again.
                    try sync.addHandler(HTTPResponseEncoder(configuration: .init()))
                    try sync.addHandler(decoder)
                    try sync.addHandler(ProxyConnectionHandler(runtime: runtime, decoder: decoder, logger: logger))
                }
            }
            .bind(host: address.host, port: address.port)
            .get()
    }
}
