/// One client connection of the public listener as a value: what it has read, what it owes,
/// which deadline applies, and what the I/O shell must do next. It does no I/O and reads no
/// clock: the shell feeds it bytes and the time, performs the action it returns, and tells it
/// when an answer is written. Tested in milliseconds with a made-up clock.
///
/// HTTP/1.1 pipelining needs no queue of its own: bytes that arrive while an answer is owed
/// stay in the parser's buffer and are parsed after the answer is written; the shell stops
/// reading when that buffer grows past `pipelineLimit` (`wantsToRead`).
public struct ConnectionStateMachine: Sendable {
    /// The limits a connection enforces: the config's `limits`, in nanoseconds.
    public struct Limits: Sendable, Equatable {
        public var maxRequestBody: Int
        public var maxHeaderBytes: Int
        public var maxURIBytes: Int
        public var headerReadTimeout: UInt64
        public var bodyReadTimeout: UInt64
        public var idleTimeout: UInt64

        public init(
            maxRequestBody: Int, maxHeaderBytes: Int, maxURIBytes: Int, headerReadTimeout: UInt64, bodyReadTimeout: UInt64,
            idleTimeout: UInt64
        ) {
            self.maxRequestBody = maxRequestBody
            self.maxHeaderBytes = maxHeaderBytes
            self.maxURIBytes = maxURIBytes
            self.headerReadTimeout = headerReadTimeout
            self.bodyReadTimeout = bodyReadTimeout
            self.idleTimeout = idleTimeout
        }
    }

    /// A complete request, body buffered, ready to be decided and forwarded.
    public struct Request: Sendable {
        public var head: ParsedRequestHead
        public var body: [UInt8]
        /// The client may send another request on this connection after the answer.
        public var keepAlive: Bool
    }

    public enum Action: Sendable {
        /// Nothing to do until more bytes, a timer or an answer arrive.
        case none
        /// Write `HTTP/1.1 100 Continue`, then call `next(now:)` again.
        case sendContinue
        /// Decide and forward; call `answerStarted` when the answer is ready to be written.
        case forward(Request)
        /// The input cannot be served: write this error answer; the connection closes after it
        /// (`answerStarted` has been done by the machine).
        case reject(HTTPRequestError)
        /// Close the socket now.
        case close
    }

    public enum DeadlineKind: Sendable, Equatable {
        /// A head was started (or the connection just opened) and must complete in time.
        case headRead
        /// An accepted head's body must arrive in time.
        case bodyRead
        /// Nothing owed, nothing buffered: the connection closes when this passes.
        case idle
    }

    /// Legal transitions are named on each case.
    private enum State: Sendable {
        /// Between requests. → `readingBody` (a head was accepted), → `writing` (rejected), → `closed`.
        case awaitingHead
        /// Collecting the body of an accepted head. → `forwarding` (complete), → `writing` (rejected).
        case readingBody(ParsedRequestHead, body: [UInt8], keepAlive: Bool)
        /// A complete request is with the upstream; its timeout bounds this state. → `writing`.
        case forwarding(keepAlive: Bool)
        /// An answer is being written; the connection closes after it when `closeAfter`.
        /// → `awaitingHead` or `closed` (`writeFinished`).
        case writing(closeAfter: Bool)
        case closed
    }

    public private(set) var deadline: (kind: DeadlineKind, at: UInt64)?
    private var state = State.awaitingHead
    private var parser: RequestParser
    private var limits: Limits
    /// A graceful shutdown asked the connection to close after the answer it owes.
    private var quiescing = false
    /// Nothing more is read: the client closed its side, or asked for a protocol upgrade.
    private var readingEnded = false

    /// A new connection is expected to send its head at once: the head-read deadline applies.
    public init(limits: Limits, now: UInt64) {
        self.limits = limits
        self.parser = RequestParser(limits: Self.parserLimits(limits))
        deadline = (.headRead, now + limits.headerReadTimeout)
    }

    private static func parserLimits(_ limits: Limits) -> RequestParserLimits {
        RequestParserLimits(maxURIBytes: limits.maxURIBytes, maxHeaderBytes: limits.maxHeaderBytes)
    }

    /// Bytes buffered beyond this while an answer is owed stop reading until it is written.
    public var pipelineLimit: Int { limits.maxRequestBody + 64 << 10 }

    /// Whether the shell should watch the socket for input.
    public var wantsToRead: Bool {
        if readingEnded { return false }
        switch state {
        case .awaitingHead, .readingBody: return true
        case .forwarding, .writing: return parser.bufferedByteCount <= pipelineLimit
        case .closed: return false
        }
    }

    public var isClosed: Bool {
        if case .closed = state { return true }
        return false
    }

    /// The limits of the config a request starts with; they apply from the next head.
    public mutating func update(limits: Limits) {
        self.limits = limits
        parser.limits = Self.parserLimits(limits)
    }

    public mutating func receive(_ bytes: UnsafeRawBufferPointer) {
        parser.append(bytes)
    }

    /// Parses what is buffered as far as the state allows.
    public mutating func next(now: UInt64) -> Action {
        while true {
            switch state {
            case .awaitingHead, .readingBody: break
            case .forwarding, .writing, .closed: return .none
            }
            guard let event = parser.next() else {
                if case .awaitingHead = state {
                    if parser.hasPartialHead {
                        if deadline?.kind != .headRead { deadline = (.headRead, now + limits.headerReadTimeout) }
                    } else if quiescing {
                        return closeNow()
                    }
                }
                return .none
            }
            switch (event, state) {
            case (.head(let head), .awaitingHead):
                switch RequestHeadCheck.check(head, maxRequestBody: limits.maxRequestBody) {
                case .reject(let error):
                    return reject(error)
                case .accept(let accepted):
                    if accepted.upgrade { readingEnded = true }
                    state = .readingBody(head, body: [], keepAlive: accepted.keepAlive)
                    deadline = accepted.hasBody ? (.bodyRead, now + limits.bodyReadTimeout) : nil
                    if accepted.expectContinue { return .sendContinue }
                }
            case (.body(let bytes), .readingBody(let head, var body, let keepAlive)):
                guard body.count + bytes.count <= limits.maxRequestBody else {
                    return reject(HTTPRequestError(413, "the request body is larger than \(limits.maxRequestBody) bytes"))
                }
                state = .closed  // lets `body` be appended in place
                body.append(contentsOf: bytes)
                state = .readingBody(head, body: body, keepAlive: keepAlive)
            case (.end, .readingBody(let head, let body, let keepAlive)):
                state = .forwarding(keepAlive: keepAlive)
                deadline = nil
                return .forward(Request(head: head, body: body, keepAlive: keepAlive))
            case (.failure(let error), _):
                return reject(error)
            default:
                return reject(HTTPRequestError(400, "unexpected request part"))
            }
        }
    }

    /// The answer to the forwarded request is about to be written; returns whether the
    /// connection closes after it. `close` forces that (an answer that refuses the request).
    public mutating func answerStarted(close: Bool = false) -> Bool {
        guard case .forwarding(let keepAlive) = state else { return true }
        let closeAfter = close || !keepAlive || quiescing || readingEnded
        state = .writing(closeAfter: closeAfter)
        if closeAfter { readingEnded = true }
        return closeAfter
    }

    /// The answer is written (the socket took the last byte).
    public mutating func writeFinished(now: UInt64) -> Action {
        guard case .writing(let closeAfter) = state else { return .none }
        if closeAfter { return closeNow() }
        state = .awaitingHead
        // Part of a pipelined head already waiting gets the head-read deadline, not the idle one.
        let kind: DeadlineKind = parser.hasPartialHead ? .headRead : .idle
        deadline = (kind, now + (kind == .idle ? limits.idleTimeout : limits.headerReadTimeout))
        return next(now: now)
    }

    /// The deadline's time came (or a timer set for it fired late).
    public mutating func timerFired(now: UInt64) -> Action {
        guard let deadline, deadline.at <= now else { return .none }
        self.deadline = nil
        switch deadline.kind {
        case .headRead:
            guard case .awaitingHead = state else { return .none }
            return reject(HTTPRequestError(408, "the request head did not arrive within \(Self.text(limits.headerReadTimeout))"))
        case .bodyRead:
            guard case .readingBody = state else { return .none }
            return reject(HTTPRequestError(408, "the request body did not arrive within \(Self.text(limits.bodyReadTimeout))"))
        case .idle:
            guard case .awaitingHead = state else { return .none }
            return closeNow()
        }
    }

    /// A graceful shutdown: an idle connection closes at once, a busy one after its answer.
    public mutating func quiesce() -> Action {
        quiescing = true
        if case .awaitingHead = state, !parser.hasPartialHead { return closeNow() }
        return .none
    }

    /// The client closed its side. An answer owed is still written (then the connection
    /// closes); a request cut short is dropped.
    public mutating func inputEnded() -> Action {
        readingEnded = true
        switch state {
        case .awaitingHead, .readingBody: return closeNow()
        case .forwarding: return .none
        case .writing:
            state = .writing(closeAfter: true)
            return .none
        case .closed: return .none
        }
    }

    /// The socket failed or was closed by the shell.
    public mutating func closed() {
        state = .closed
        deadline = nil
    }

    private mutating func reject(_ error: HTTPRequestError) -> Action {
        state = .writing(closeAfter: true)
        readingEnded = true
        deadline = nil
        return .reject(error)
    }

    private mutating func closeNow() -> Action {
        state = .closed
        deadline = nil
        return .close
    }

    /// A timeout as the config writes it, for the 408's message.
    private static func text(_ nanoseconds: UInt64) -> String {
        let milliseconds = nanoseconds / 1_000_000
        return milliseconds % 1000 == 0 ? "\(milliseconds / 1000)s" : "\(milliseconds)ms"
    }
}
