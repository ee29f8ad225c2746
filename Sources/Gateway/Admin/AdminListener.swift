import GatewayCore
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix

/// How much of the process the admin listener may hold: it must never take the public
/// listener down (1,100 idle admin connections once exhausted every descriptor).
public struct AdminLimits: Sendable {
    /// Admin connections open at once; more are closed as they arrive. Prometheus, the probes
    /// and a few operators need a handful.
    public var maxConnections = 64
    /// A connection must deliver a whole request within this time of opening or of its last
    /// answer; an idle or slow one is closed.
    public var requestTimeout: Duration = .seconds(10)

    public init() {}
}

/// The admin listener: small aggregated requests, answered by `AdminRoutes` off the event loop
/// (a reload reads a file).
enum AdminListener {
    static func bind(address: HostPort, runtime: GatewayRuntime, limits: AdminLimits, group: any EventLoopGroup) async throws -> any Channel {
        let open = NIOLockedValueBox(0)
        return try await ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .serverChannelInitializer { channel in
                // Out of descriptors (EMFILE), accepting again at once would spin the CPU.
                channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(AcceptBackoffHandler()) }
            }
            .childChannelInitializer { channel in
                let admitted = open.withLockedValue { count -> Bool in
                    guard count < limits.maxConnections else { return false }
                    count += 1
                    return true
                }
                guard admitted else { return channel.close() }
                channel.closeFuture.whenComplete { _ in open.withLockedValue { $0 -= 1 } }
                return channel.eventLoop.makeCompletedFuture {
                    let sync = channel.pipeline.syncOperations
                    try sync.configureHTTPServerPipeline()
                    try sync.addHandler(NIOHTTPServerRequestAggregator(maxContentLength: 64 << 10))
                    try sync.addHandler(AdminHandler(runtime: runtime, requestTimeout: limits.requestTimeout))
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
    private let requestTimeout: TimeAmount
    private var deadline: Scheduled<Void>?

    init(runtime: GatewayRuntime, requestTimeout: Duration) {
        self.runtime = runtime
        self.requestTimeout = TimeAmount(requestTimeout)
    }

    func channelActive(context: ChannelHandlerContext) {
        armDeadline(context: context)
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        deadline?.cancel()
        deadline = nil
        context.fireChannelInactive()
    }

    /// The next request must be complete by then, or the connection is closed.
    private func armDeadline(context: ChannelHandlerContext) {
        deadline?.cancel()
        deadline = context.eventLoop.assumeIsolated().scheduleTask(in: requestTimeout) {
            context.close(promise: nil)
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        deadline?.cancel()
        deadline = nil
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
            if head.isKeepAlive {
                self.armDeadline(context: context)
            } else {
                done.assumeIsolated().whenComplete { _ in context.close(promise: nil) }
            }
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}
