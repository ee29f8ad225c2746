import Foundation
import GatewayCore
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix

/// A real HTTP upstream on an ephemeral loopback port whose behaviour a test sets, and which
/// records every request and counts every accepted connection.
final class TestUpstream: Sendable {
    enum Behavior: Sendable {
        /// Answer with this status and body (the default body names the upstream).
        case respond(status: Int, body: String?, headers: [(String, String)])
        /// Echo the request body back with status 200.
        case echo
        /// Never answer.
        case hang
        /// Answer 200 after this many milliseconds.
        case delayed(milliseconds: Int64)
        /// Write these bytes as the whole response, then close.
        case raw(String)
        /// Close the connection without a byte.
        case close
        /// Answer 200 to the first request of each connection; any later request on the same
        /// (kept-alive) connection is read and recorded, then the connection is reset (RST) with
        /// no answer: a stale connection as a client's cache meets it.
        case resetReusedConnections
    }

    struct Recorded: Sendable {
        var method: String
        var uri: String
        var headers: HTTPHeaders
        var body: [UInt8]
    }

    struct State {
        var behavior: Behavior
        var requests: [Recorded] = []
        var accepted = 0
        var children: [ObjectIdentifier: any Channel] = [:]
    }

    let name: String
    let port: Int
    private let state: NIOLockedValueBox<State>
    private let channel: any Channel

    static func start(_ name: String, behavior: Behavior = .respond(status: 200, body: nil, headers: [])) async throws -> TestUpstream {
        let state = NIOLockedValueBox(State(behavior: behavior))
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                state.withLockedValue {
                    $0.accepted += 1
                    $0.children[ObjectIdentifier(channel)] = channel
                }
                channel.closeFuture.whenComplete { _ in
                    _ = state.withLockedValue { $0.children.removeValue(forKey: ObjectIdentifier(channel)) }
                }
                return channel.eventLoop.makeCompletedFuture {
                    let sync = channel.pipeline.syncOperations
                    try sync.configureHTTPServerPipeline(withPipeliningAssistance: false)
                    try sync.addHandler(NIOHTTPServerRequestAggregator(maxContentLength: 16 << 20))
                    try sync.addHandler(TestUpstreamHandler(name: name, state: state))
                }
            }
            .bind(host: "127.0.0.1", port: 0)
            .get()
        return TestUpstream(name: name, port: channel.localAddress!.port!, state: state, channel: channel)
    }

    private init(name: String, port: Int, state: NIOLockedValueBox<State>, channel: any Channel) {
        self.name = name
        self.port = port
        self.state = state
        self.channel = channel
    }

    var url: String { "http://127.0.0.1:\(port)" }
    var requests: [Recorded] { state.withLockedValue { $0.requests } }
    var acceptedConnections: Int { state.withLockedValue { $0.accepted } }

    func set(_ behavior: Behavior) {
        state.withLockedValue { $0.behavior = behavior }
    }

    func shutdown() async {
        let children = state.withLockedValue { Array($0.children.values) }
        for child in children { try? await child.close() }
        try? await channel.close()
    }

    fileprivate static func handle(_ request: NIOHTTPServerRequestFull, name: String, state: NIOLockedValueBox<State>) -> Behavior {
        state.withLockedValue { state in
            var body: [UInt8] = []
            if let buffer = request.body { body = Array(buffer.readableBytesView) }
            state.requests.append(Recorded(method: request.head.method.rawValue, uri: request.head.uri, headers: request.head.headers, body: body))
            return state.behavior
        }
    }
}

private final class TestUpstreamHandler: ChannelInboundHandler {
    typealias InboundIn = NIOHTTPServerRequestFull
    typealias OutboundOut = HTTPServerResponsePart

    let name: String
    let state: NIOLockedValueBox<TestUpstream.State>
    /// Requests seen on this connection.
    private var served = 0

    init(name: String, state: NIOLockedValueBox<TestUpstream.State>) {
        self.name = name
        self.state = state
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let request = unwrapInboundIn(data)
        served += 1
        switch TestUpstream.handle(request, name: name, state: state) {
        case .respond(let status, let body, let extra):
            write(status: status, body: context.channel.allocator.buffer(string: body ?? name), headers: extra, context: context)
        case .echo:
            write(status: 200, body: request.body ?? ByteBuffer(), headers: [], context: context)
        case .hang:
            break
        case .delayed(let milliseconds):
            context.eventLoop.assumeIsolated().scheduleTask(in: .milliseconds(milliseconds)) {
                self.write(status: 200, body: context.channel.allocator.buffer(string: self.name), headers: [], context: context)
            }
        case .raw(let text):
            let encoder = try! context.pipeline.syncOperations.context(handlerType: HTTPResponseEncoder.self)
            encoder.writeAndFlush(NIOAny(context.channel.allocator.buffer(string: text))).assumeIsolated().whenComplete { _ in
                context.close(promise: nil)
            }
        case .close:
            context.close(promise: nil)
        case .resetReusedConnections where served == 1:
            write(status: 200, body: context.channel.allocator.buffer(string: name), headers: [], context: context)
        case .resetReusedConnections:
            // SO_LINGER with a zero timeout turns close into a reset.
            guard let provider = context.channel as? any SocketOptionProvider else { return context.close(promise: nil) }
            provider.setSoLinger(linger(l_onoff: 1, l_linger: 0)).assumeIsolated().whenComplete { _ in context.close(promise: nil) }
        }
    }

    private func write(status: Int, body: ByteBuffer, headers extra: [(String, String)], context: ChannelHandlerContext) {
        var headers = HTTPHeaders(extra)
        headers.add(name: "Content-Length", value: String(body.readableBytes))
        headers.add(name: "X-Served-By", value: name)
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: .init(statusCode: status), headers: headers))), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
    }
}
