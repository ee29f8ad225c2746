import GatewayCore
import NIOCore
import NIOHTTP1

/// Turns the bytes of a client connection into request parts with the gateway's own strict
/// parser (`RequestParser`), in place of NIO's llhttp decoder: it answers the README's "Bad input" exactly
/// (414 versus 431, 501, 505), enforces the URI and header limits of the config in force as the
/// bytes arrive, and knows when part of a next head is waiting (so the head-read deadline, not
/// the idle one, applies to it).
final class RequestDecoder: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = HTTPServerRequestPart

    private var parser: RequestParser
    private var failed = false

    init(limits: Limits) {
        parser = RequestParser(limits: Self.parserLimits(limits))
    }

    /// Bytes of an incomplete request head are buffered: the connection handler (same event
    /// loop) reads this when it picks a deadline.
    var partialHeadBuffered: Bool { parser.hasPartialHead }

    /// The limits of the config the latest request started with; they apply from the next head.
    func update(_ limits: Limits) {
        parser.limits = Self.parserLimits(limits)
    }

    private static func parserLimits(_ limits: Limits) -> RequestParserLimits {
        RequestParserLimits(maxURIBytes: limits.maxURIBytes, maxHeaderBytes: limits.maxHeaderBytes)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !failed else { return }
        let buffer = unwrapInboundIn(data)
        buffer.withUnsafeReadableBytes { parser.append($0) }
        while let event = parser.next() {
            switch event {
            case .head(let head):
                let version: HTTPVersion = head.minorVersion == 0 ? .http1_0 : .http1_1
                let requestHead = HTTPRequestHead(
                    version: version, method: HTTPMethod(rawValue: head.method), uri: head.target,
                    headers: HTTPHeaders(head.headers.map { ($0.name, $0.value) })
                )
                context.fireChannelRead(wrapInboundOut(.head(requestHead)))
            case .body(let bytes):
                context.fireChannelRead(wrapInboundOut(.body(context.channel.allocator.buffer(bytes: bytes))))
            case .end:
                context.fireChannelRead(wrapInboundOut(.end(nil)))
            case .failure(let error):
                failed = true
                context.fireErrorCaught(error)
                return
            }
        }
    }
}
