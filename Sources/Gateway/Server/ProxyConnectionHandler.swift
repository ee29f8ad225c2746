import GatewayCore
import Logging
import NIOCore
import NIOHTTP1

/// One client connection of the public listener: reads a request (head checks of §9, body
/// buffered up to the limit), decides, forwards, answers, and enforces the head-read and idle
/// timeouts. Runs on its channel's event loop only; upstream I/O happens on curl threads.
///
/// It handles HTTP/1.1 pipelining itself: parts that arrive while a response is owed wait in a
/// queue and are replayed after it, so the socket keeps reading (NIO's pipelining helper stops
/// and restarts reading around every request, two `epoll_ctl` calls each time). Reading pauses
/// only when the queue grows past a bound.
final class ProxyConnectionHandler: ChannelDuplexHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    private enum State {
        /// Between requests. The timer is the head-read timeout once bytes arrived, else idle.
        case awaitingHead
        /// Collecting the body of an accepted head.
        case readingBody(ClientRequest)
        /// Waiting for the upstream; the response is written when it is in.
        case forwarding
        /// An error answer went out; everything else the client sends is ignored.
        case closing
    }

    private let runtime: GatewayRuntime
    private let decoder: RequestDecoder
    private let logger: Logger
    private var state = State.awaitingHead
    private var timer = ConnectionTimer()
    private var scheduledTimer: Scheduled<Void>?
    /// Bytes of a head are buffered in the decoder and the head is not complete yet.
    private var headInProgress: Bool { decoder.partialHeadBuffered }
    private var ids = RandomID()
    private var queued = PipelineQueue()
    /// The limits of the config the latest request started with (no lock taken per read).
    private var limits: Limits
    /// A `read` was held back because the queue is full.
    private var readHeld = false
    /// A graceful shutdown asked this connection to close after the response it owes.
    private var quiescing = false
    /// The latest request asked to upgrade the protocol: it is answered without the upgrade, the
    /// connection closes after it and nothing more is read.
    private var readingEnded = false

    init(runtime: GatewayRuntime, decoder: RequestDecoder, logger: Logger) {
        self.runtime = runtime
        self.decoder = decoder
        self.logger = logger
        self.limits = runtime.snapshot().active.config.limits
    }

    func channelActive(context: ChannelHandlerContext) {
        // A new connection is expected to send its request head at once.
        arm(.headRead, context: context)
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        disarm()
        scheduledTimer?.cancel()
        scheduledTimer = nil
        context.fireChannelInactive()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is ChannelShouldQuiesceEvent {
            quiescing = true
            if case .awaitingHead = state, !headInProgress, queued.isEmpty {
                state = .closing
                context.close(promise: nil)
            }
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    /// Reading stops while the client is not taking its answers (the channel is not writable):
    /// a client that pipelines requests and never reads must not make the gateway buffer every
    /// answer. It also stops for good once the connection is closing, and after a request that
    /// asked for a protocol upgrade (refused: the bytes that follow are not HTTP/1.1 requests).
    func read(context: ChannelHandlerContext) {
        if case .closing = state { return }
        if readingEnded || !mayRead(context) {
            readHeld = true
        } else {
            context.read()
        }
    }

    private func mayRead(_ context: ChannelHandlerContext) -> Bool {
        context.channel.isWritable && (queued.isEmpty || queued.bytes <= queueLimit)
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable { drainQueue(context: context) }
        context.fireChannelWritabilityChanged()
    }

    /// Pipelined input buffered beyond this stops reading until the queue drains.
    private var queueLimit: Int { limits.maxRequestBody + 64 << 10 }

    /// A head still incomplete after a read starts the head-read deadline; a head that arrives
    /// whole (the usual case) costs no timer work.
    func channelReadComplete(context: ChannelHandlerContext) {
        if headInProgress, case .awaitingHead = state, timer.kind != .headRead {
            arm(.headRead, context: context)
        }
        context.fireChannelReadComplete()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let part = unwrapInboundIn(data)
        if case .forwarding = state {
            queued.append(.part(part))
            return
        }
        handle(part, context: context)
    }

    private func handle(_ part: HTTPServerRequestPart, context: ChannelHandlerContext) {
        switch (part, state) {
        case (_, .closing):
            return
        case (.head(let head), .awaitingHead):
            disarm()
            receiveHead(head, context: context)
        case (.body(var chunk), .readingBody(var request)):
            let limit = limits.maxRequestBody
            if request.bodyLength + chunk.readableBytes > limit {
                respondWithError(.payloadTooLarge, "the request body is larger than \(limit) bytes", requestID: nil, context: context)
                return
            }
            request.appendBody(&chunk)
            state = .readingBody(request)
        case (.end, .readingBody(let request)):
            disarm()
            if request.head.headers.contains(name: "upgrade") { readingEnded = true }
            state = .forwarding
            forward(request, context: context)
        default:
            respondWithError(.badRequest, "unexpected request part", requestID: nil, context: context)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard let requestError = error as? HTTPRequestError else {
            logger.debug("connection error", metadata: ["error": "\(error)"])
            context.close(promise: nil)
            return
        }
        logger.info("malformed request", metadata: ["error": "\(requestError)"])
        if case .forwarding = state {
            queued.append(.error(requestError))
            return
        }
        handle(requestError, context: context)
    }

    private func handle(_ requestError: HTTPRequestError, context: ChannelHandlerContext) {
        switch state {
        case .awaitingHead, .readingBody:
            respondWithError(HTTPResponseStatus(statusCode: requestError.status), requestError.message, requestID: nil, context: context)
        case .forwarding, .closing:
            state = .closing
            context.close(promise: nil)
        }
    }

    // MARK: - Pipelining

    /// Replays queued input after a response, until a request is in flight again.
    private func drainQueue(context: ChannelHandlerContext) {
        while !queued.isEmpty && context.channel.isWritable {
            switch state {
            case .forwarding, .closing: return
            case .awaitingHead, .readingBody: break
            }
            switch queued.popFirst() {
            case .part(let part): handle(part, context: context)
            case .error(let error): handle(error, context: context)
            case nil: break
            }
        }
        if readHeld, !readingEnded, mayRead(context) {
            switch state {
            case .closing: return
            default: break
            }
            readHeld = false
            context.read()
        }
    }

    // MARK: - Steps of a request

    private func receiveHead(_ head: HTTPRequestHead, context: ChannelHandlerContext) {
        let snapshot = runtime.snapshot()
        limits = snapshot.active.config.limits
        decoder.update(limits)
        switch HeadValidator.check(head, limits: limits) {
        case .reject(let status, let message):
            respondWithError(status, message, requestID: nil, context: context)
        case .accept(let expectContinue, let hasBody):
            let peer = context.channel.remoteAddress?.ipAddress
            let request = ClientRequest(head: head, snapshot: snapshot, peerIP: peer)
            if let repeated = request.repeatedDecisionHeader {
                respondWithError(
                    .badRequest, "\(repeated) must be sent at most once: it decides which checkout serves this request", requestID: nil,
                    context: context)
                return
            }
            // An HTTP/1.0 client does not know 100 Continue; it sends its body anyway.
            if expectContinue && (head.version.major, head.version.minor) >= (1, 1) {
                context.writeAndFlush(wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: .continue))), promise: nil)
            }
            state = .readingBody(request)
            if hasBody { arm(.bodyRead, context: context) }
        }
    }

    private func forward(_ request: ClientRequest, context: ChannelHandlerContext) {
        if request.active.config.flag.publicOFREP, request.head.method == .POST,
            OFREPEvaluator.isOFREP(path: PathPrefix.path(of: request.head.uri))
        {
            answerOFREP(request, context: context)
            return
        }
        let prepared = request.prepare(mintID: { self.ids.make() })
        let bound = NIOLoopBound((handler: self, context: context), eventLoop: context.eventLoop)
        Forwarder.forward(prepared.plan, active: request.active, recorder: runtime.recorder, on: context.eventLoop) { result in
            let (handler, context) = bound.value
            handler.respond(to: request, prepared: prepared, result: result, context: context)
        }
    }

    private func respond(to request: ClientRequest, prepared: ClientRequest.Prepared, result: ForwardingResult, context: ChannelHandlerContext) {
        let status: HTTPResponseStatus
        var headers: HTTPHeaders
        let body: ByteBuffer
        switch result.result {
        case .response(let response):
            status = HTTPResponseStatus(statusCode: response.status)
            headers = ForwardingHeaders.clientHeaders(from: response.headers, keepContentLength: request.head.method == .HEAD)
            body = response.body
        case .failure(let outcome, let detail):
            status = HTTPResponseStatus(statusCode: FailureResponse.status(for: outcome) ?? 502)
            headers = HTTPHeaders([("Content-Type", "application/json")])
            body = ErrorBody.make(
                FailureResponse.message(for: outcome, variant: result.servedBy), requestID: prepared.plan.requestID,
                allocator: context.channel.allocator)
            logger.warning(
                "upstream failed", metadata: ["upstream": "\(result.servedBy)", "detail": "\(detail)", "request_id": "\(prepared.plan.requestID)"])
        }
        runtime.record(request: request, prepared: prepared, result: result, status: Int(status.code))
        guard context.channel.isActive else { return }
        headers.add(name: ForwardingHeaders.variantHeader, value: result.servedBy.rawValue)
        headers.add(name: ForwardingHeaders.requestIDHeader, value: prepared.plan.requestID)
        if let cookie = prepared.setCookie { headers.add(name: "Set-Cookie", value: cookie) }
        write(
            status: status, headers: headers, body: body, version: request.head.version, keepAlive: request.head.isKeepAlive,
            isHead: request.head.method == .HEAD, context: context)
    }

    /// `flag.public_ofrep`: the browser asks for its variant on the public listener (read-only).
    private func answerOFREP(_ request: ClientRequest, context: ChannelHandlerContext) {
        let answer = AdminRoutes.ofrep(
            path: PathPrefix.path(of: request.head.uri), headers: request.head.headers, body: request.bodyBytes, snapshot: request.snapshot
        )
        write(
            status: answer.status, headers: answer.headers, body: context.channel.allocator.buffer(bytes: answer.body),
            version: request.head.version, keepAlive: request.head.isKeepAlive, isHead: false, context: context)
    }

    // MARK: - Writing answers

    private func respondWithError(_ status: HTTPResponseStatus, _ message: String, requestID: String?, context: ChannelHandlerContext) {
        if case .forwarding = state { return }
        state = .closing
        disarm()
        runtime.recorder.metrics.rejected(code: Int(status.code))
        let id = requestID ?? ids.make()
        let body = ErrorBody.make(message, requestID: id, allocator: context.channel.allocator)
        var headers = HTTPHeaders([("Content-Type", "application/json")])
        headers.add(name: ForwardingHeaders.requestIDHeader, value: id)
        write(status: status, headers: headers, body: body, version: .http1_1, keepAlive: false, isHead: false, context: context)
    }

    /// A 408 for a head that did not complete in time.
    private func timeOutHead(context: ChannelHandlerContext) {
        respondWithError(.requestTimeout, "the request head did not arrive within \(limits.headerReadTimeout)", requestID: nil, context: context)
    }

    private func write(
        status: HTTPResponseStatus, headers: HTTPHeaders, body: ByteBuffer, version: HTTPVersion, keepAlive requested: Bool,
        isHead: Bool, context: ChannelHandlerContext
    ) {
        let keepAlive = requested && !quiescing && !readingEnded
        var headers = headers
        let bodyless = isHead || status.code == 204 || status.code == 304 || status.code < 200
        if !bodyless { headers.replaceOrAdd(name: "Content-Length", value: String(body.readableBytes)) }
        if !keepAlive {
            headers.replaceOrAdd(name: "Connection", value: "close")
        } else if version.minor == 0 {
            headers.replaceOrAdd(name: "Connection", value: "keep-alive")
        }
        let head = HTTPResponseHead(version: version.major == 1 && version.minor == 0 ? .http1_0 : .http1_1, status: status, headers: headers)
        let closeAfter: Bool
        if keepAlive, case .forwarding = state {
            closeAfter = false
            state = .awaitingHead
            // Part of a pipelined head already waiting gets the head-read deadline, not the idle one.
            arm(headInProgress ? .headRead : .idle, context: context)
        } else {
            closeAfter = true
            state = .closing
        }
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        if !bodyless && body.readableBytes > 0 {
            context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil)
        }
        let written = context.writeAndFlush(wrapOutboundOut(.end(nil)))
        if closeAfter {
            written.assumeIsolated().whenComplete { _ in context.close(promise: nil) }
        } else if !queued.isEmpty {
            drainQueue(context: context)
        }
    }

    // MARK: - Timers

    private func arm(_ kind: ConnectionTimer.Kind, context: ChannelHandlerContext) {
        let delay =
            switch kind {
            case .headRead: limits.headerReadTimeout
            case .bodyRead: limits.bodyReadTimeout
            case .idle: limits.idleTimeout
            }
        perform(timer.set(kind, at: .now() + .milliseconds(delay.milliseconds)), context: context)
    }

    private func disarm() {
        timer.clear()
    }

    private func perform(_ action: ConnectionTimer.Action, context: ChannelHandlerContext) {
        switch action {
        case .none:
            break
        case .schedule(let time):
            scheduledTimer?.cancel()
            scheduledTimer = context.eventLoop.assumeIsolated().scheduleTask(deadline: time) {
                self.scheduledTimer = nil
                self.perform(self.timer.fired(now: .now()), context: context)
            }
        case .expire(.headRead):
            timeOutHead(context: context)
        case .expire(.bodyRead):
            respondWithError(.requestTimeout, "the request body did not arrive within \(limits.bodyReadTimeout)", requestID: nil, context: context)
        case .expire(.idle):
            state = .closing
            context.close(promise: nil)
        }
    }
}
