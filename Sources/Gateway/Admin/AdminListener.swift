import GatewayCore
import NIOCore
import NIOHTTP1
import NIOPosix

/// The admin listener: small aggregated requests, answered by `AdminRoutes` off the event loop
/// (a reload reads a file).
enum AdminListener {
    static func bind(address: HostPort, runtime: GatewayRuntime, group: any EventLoopGroup) async throws -> any Channel {
        try await ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let sync = channel.pipeline.syncOperations
                    try sync.configureHTTPServerPipeline()
                    try sync.addHandler(NIOHTTPServerRequestAggregator(maxContentLength: 64 << 10))
                    try sync.addHandler(AdminHandler(runtime: runtime))
                }
            }
            .bind(host: address.host, port: address.port)
            .get()
    }
}

private final class AdminHandler: ChannelInboundHandler {
    typealias InboundIn = NIOHTTPServerRequestFull
    typealias OutboundOut = HTTPServerResponsePart

    private let runtime: GatewayRuntime

    init(runtime: GatewayRuntime) {
        self.runtime = runtime
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let request = unwrapInboundIn(data)
        let head = request.head
        let body = request.body.map { Array($0.readableBytesView) } ?? []
        let peer = context.channel.remoteAddress?.ipAddress
        let runtime = self.runtime
        let promise = context.eventLoop.makePromise(of: AdminRoutes.Answer.self)
        promise.completeWithTask {
            await AdminRoutes.handle(method: head.method, target: head.uri, headers: head.headers, body: body, peerIP: peer, runtime: runtime)
        }
        promise.futureResult.assumeIsolated().whenSuccess { answer in
            var headers = answer.headers
            headers.replaceOrAdd(name: "Content-Length", value: String(answer.body.count))
            if !head.isKeepAlive { headers.replaceOrAdd(name: "Connection", value: "close") }
            context.write(self.wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: answer.status, headers: headers))), promise: nil)
            if head.method != .HEAD && !answer.body.isEmpty {
                context.write(self.wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(bytes: answer.body)))), promise: nil)
            }
            let done = context.writeAndFlush(self.wrapOutboundOut(.end(nil)))
            if !head.isKeepAlive { done.assumeIsolated().whenComplete { _ in context.close(promise: nil) } }
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}
