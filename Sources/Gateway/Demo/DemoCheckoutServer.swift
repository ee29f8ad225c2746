import GatewayCore
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix

/// A tiny stand-in for a shop's checkout, old or new, so `checkout-gateway demo` shows the
/// whole flow without a real shop: an HTML page, a JSON API, and an order POST that honours
/// `Idempotency-Key` the way a real checkout must.
public final class DemoCheckoutServer: Sendable {
    public let variant: Variant
    public let port: Int
    private let channel: any Channel

    public static func start(variant: Variant, host: String, port: Int, group: any EventLoopGroup) async throws -> DemoCheckoutServer {
        let orders = DemoOrderBook(variant: variant)
        let setting = "upstreams.\(variant.rawValue).url (the demo serves that checkout there)"
        let channel = try await ListenError.naming(HostPort(host: host, port: port).description, setting) {
            try await ServerBootstrap(group: group)
                .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                .childChannelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        let sync = channel.pipeline.syncOperations
                        try sync.configureHTTPServerPipeline()
                        try sync.addHandler(NIOHTTPServerRequestAggregator(maxContentLength: 1 << 20))
                        try sync.addHandler(DemoCheckoutHandler(variant: variant, orders: orders))
                    }
                }
                .bind(host: host, port: port)
                .get()
        }
        return DemoCheckoutServer(variant: variant, port: channel.localAddress?.port ?? port, channel: channel)
    }

    private init(variant: Variant, port: Int, channel: any Channel) {
        self.variant = variant
        self.port = port
        self.channel = channel
    }

    public func shutdown() async {
        try? await channel.close()
    }
}

/// Orders by idempotency key, so a replayed POST gets the order it already created; and the
/// demo's failure switch (`POST /__demo/fail`, `POST /__demo/recover`), so a newcomer can watch
/// fallback and a guardrail rollback happen.
final class DemoOrderBook: Sendable {
    private let state = NIOLockedValueBox((next: 1, requests: 0, byKey: [String: String]()))
    private let failing = NIOLockedValueBox(false)
    let variant: Variant

    var isFailing: Bool {
        get { failing.withLockedValue { $0 } }
        set { failing.withLockedValue { $0 = newValue } }
    }

    init(variant: Variant) {
        self.variant = variant
    }

    /// Orders placed and order POSTs received (`GET /__demo/orders`): a retried order is one order.
    var counts: (orders: Int, requests: Int) {
        state.withLockedValue { ($0.next - 1, $0.requests) }
    }

    func place(idempotencyKey: String?) -> (orderID: String, replayed: Bool) {
        state.withLockedValue { state in
            state.requests += 1
            if let key = idempotencyKey, let existing = state.byKey[key] { return (existing, true) }
            let id = "\(variant.rawValue)-\(state.next)"
            state.next += 1
            if let key = idempotencyKey { state.byKey[key] = id }
            return (id, false)
        }
    }
}

private final class DemoCheckoutHandler: ChannelInboundHandler {
    typealias InboundIn = NIOHTTPServerRequestFull
    typealias OutboundOut = HTTPServerResponsePart

    private let variant: Variant
    private let orders: DemoOrderBook

    init(variant: Variant, orders: DemoOrderBook) {
        self.variant = variant
        self.orders = orders
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let request = unwrapInboundIn(data)
        let path = String(PathPrefix.path(of: request.head.uri))
        let (status, contentType, body) = DemoPages.answer(
            method: request.head.method.rawValue, path: path, headers: request.head.headers, variant: variant, orders: orders
        )
        var headers = HTTPHeaders([("Content-Type", contentType), ("Content-Length", String(body.utf8.count))])
        if !request.head.isKeepAlive { headers.add(name: "Connection", value: "close") }
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: request.head.version, status: status, headers: headers))), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(string: body)))), promise: nil)
        let done = context.writeAndFlush(wrapOutboundOut(.end(nil)))
        if !request.head.isKeepAlive { done.assumeIsolated().whenComplete { _ in context.close(promise: nil) } }
    }
}
