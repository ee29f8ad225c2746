import NIOCore

/// Sits in front of the HTTP decoder. It tells the proxy handler that bytes arrived, so the
/// head-read timer starts at a request's first byte; it keeps the last two reads (references,
/// not copies) so a parser error can be classified; and it is the place to write raw answers
/// that no HTTP request precedes (a 408 before any head).
final class ByteActivityHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    /// The user event sent ahead of every read.
    struct BytesArrived: Sendable {}

    private(set) var recentReads: [ByteBuffer] = []
    private var context: ChannelHandlerContext?

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
        recentReads = []
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = unwrapInboundIn(data)
        if recentReads.count == 2 { recentReads.removeFirst() }
        recentReads.append(buffer)
        context.fireUserInboundEventTriggered(BytesArrived())
        context.fireChannelRead(data)
    }

    /// Drops the kept reads once a request is answered, so idle connections hold no buffers.
    func forgetRecentReads() {
        recentReads.removeAll(keepingCapacity: true)
    }

    /// Writes bytes straight to the socket, below the HTTP encoder, and closes the connection.
    func writeRawAndClose(_ bytes: ByteBuffer) {
        guard let context else { return }
        context.writeAndFlush(wrapInboundOut(bytes)).assumeIsolated().whenComplete { _ in
            context.close(promise: nil)
        }
    }
}
