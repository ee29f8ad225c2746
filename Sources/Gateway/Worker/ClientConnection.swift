import CLinuxEvents
import GatewayCore
import Glibc
import Logging
import NIOHTTP1

/// One client connection of the public listener, on the worker that accepted it: the socket,
/// its `ConnectionStateMachine`, and the answer bytes the socket has not taken yet. It only
/// switches on the machine's actions; the machine decides.
final class ClientConnection {
    let fd: Int32
    let peerIP: String?
    unowned let worker: Worker
    private var machine: ConnectionStateMachine
    /// Answer bytes not yet taken by the socket, from `outputOffset` on.
    private var output: [UInt8] = []
    private var outputOffset = 0
    /// The events registered in the worker's epoll set.
    private var interest: UInt32 = EPOLLIN.rawValue
    /// The time of this connection's entry in the worker's timer heap, if it has one.
    var scheduledTimer: UInt64?
    private(set) var isClosed = false
    /// Set while `Forwarder.forward` runs: an answer that comes back before it returns (libcurl
    /// refused the request at once) is deferred, so answers never nest inside one another.
    private var forwarding = false
    /// The snapshot version whose limits the machine holds.
    private var limitsVersion: UInt64

    init(fd: Int32, peerIP: String?, worker: Worker, now: UInt64) {
        self.fd = fd
        self.peerIP = peerIP
        self.worker = worker
        let current = worker.currentSnapshot()
        limitsVersion = current.version
        machine = ConnectionStateMachine(limits: current.snapshot.active.config.limits.connection, now: now)
    }

    var token: EpollToken { EpollToken(.client, fd: fd) }

    /// Called once, after the worker registered the socket.
    func started() {
        syncTimer()
    }

    // MARK: - Socket events

    /// One read per readiness event (epoll is level-triggered: more input is reported again),
    /// so one busy client cannot starve the others on this worker.
    func readable() {
        let count = worker.readBuffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        if count > 0 {
            // A reload's limits apply to what is read from now on, on kept-alive connections too.
            let current = worker.currentSnapshot()
            if current.version != limitsVersion {
                limitsVersion = current.version
                machine.update(limits: current.snapshot.active.config.limits.connection)
            }
            worker.readBuffer.withUnsafeBytes { machine.receive(UnsafeRawBufferPointer(rebasing: $0[0..<count])) }
            perform(machine.next(now: worker.now))
        } else if count == 0 {
            perform(machine.inputEnded())
        } else if errno != EINTR && errno != EAGAIN && errno != EWOULDBLOCK {
            close()
        }
    }

    func writable() {
        flush()
    }

    func hangUp() {
        close()
    }

    /// A heap entry for `entry` came due. Only the entry the connection counts on clears its
    /// record: an older one, superseded by an earlier deadline, just asks the machine again.
    func timerFired(entry: UInt64, now: UInt64) {
        if scheduledTimer == entry { scheduledTimer = nil }
        guard !isClosed else { return }
        perform(machine.timerFired(now: now))
    }

    func quiesce() {
        guard !isClosed else { return }
        perform(machine.quiesce())
    }

    // MARK: - Acting on the machine

    private func perform(_ first: ConnectionStateMachine.Action) {
        var action = first
        loop: while !isClosed {
            switch action {
            case .none:
                break loop
            case .sendContinue:
                output.append(contentsOf: "HTTP/1.1 100 Continue\r\n\r\n".utf8)
                action = machine.next(now: worker.now)
            case .forward(let request):
                forward(request)
                break loop
            case .reject(let error):
                writeError(status: error.status, message: error.message, requestID: nil)
                break loop
            case .close:
                close()
                return
            }
        }
        guard !isClosed else { return }
        if !output.isEmpty && outputOffset == 0 { flush() }
        guard !isClosed else { return }
        syncInterest()
        syncTimer()
    }

    private func forward(_ parsed: ConnectionStateMachine.Request) {
        let snapshot = worker.currentSnapshot()
        let request = ProxyRequest(head: parsed.head, body: parsed.body, snapshot: snapshot.snapshot, peerIP: peerIP, receivedAt: worker.now)
        if let repeated = request.repeatedDecisionHeader {
            _ = machine.answerStarted(close: true)
            writeError(status: 400, message: "\(repeated) must be sent at most once: it decides which checkout serves this request", requestID: nil)
            return
        }
        let config = request.active.config
        if config.flag.publicOFREP, request.head.method == "POST", OFREPEvaluator.isOFREP(path: PathPrefix.path(of: request.head.target)) {
            // Deferred like every answer, so a pipeline of these never nests answers.
            worker.defer { self.answerOFREP(request) }
            return
        }
        let prepared = request.prepare(mintID: { worker.ids.make() })
        let trace = worker.runtime.tracer?.start(head: request.head, decision: prepared.decision, flagKey: config.flag.key)
        forwarding = true
        Forwarder.forward(
            prepared.plan, active: request.active, upstreams: snapshot.upstreams, stats: worker.stats, clock: worker.clock, trace: trace
        ) { [self] result in
            if forwarding {
                worker.defer { self.respond(to: request, prepared: prepared, result: result, upstreams: snapshot.upstreams, trace: trace) }
            } else {
                respond(to: request, prepared: prepared, result: result, upstreams: snapshot.upstreams, trace: trace)
            }
        }
        forwarding = false
    }

    private func respond(
        to request: ProxyRequest, prepared: ProxyRequest.Prepared, result: ForwardingResult, upstreams: UpstreamPair, trace: RequestTrace?
    ) {
        let status: Int
        var headers: HeaderFields
        let body: [UInt8]
        switch result.result {
        case .response(let response):
            status = response.status
            headers = ForwardingHeaders.clientHeaders(from: response.headers, keepContentLength: request.head.method == "HEAD")
            body = response.body
        case .failure(let outcome, let detail):
            status = FailureResponse.status(for: outcome) ?? 502
            headers = [("Content-Type", "application/json")]
            body = ErrorBody.make(FailureResponse.message(for: outcome, variant: result.servedBy), requestID: prepared.plan.requestID)
            worker.logger.warning(
                "upstream failed", metadata: ["upstream": "\(result.servedBy)", "detail": "\(detail)", "request_id": "\(prepared.plan.requestID)"])
        }
        trace?.finish(status: status, result: result)
        worker.record(request: request, prepared: prepared, result: result, status: status, traceID: trace?.traceID)
        guard !isClosed else { return }
        headers.append((ForwardingHeaders.variantHeader, result.servedBy.rawValue))
        headers.append((ForwardingHeaders.requestIDHeader, prepared.plan.requestID))
        if let cookie = prepared.setCookie { headers.append(("Set-Cookie", cookie)) }
        if let pin = PinCookie.header(request: request, prepared: prepared, result: result, status: status) { headers.append(("Set-Cookie", pin)) }
        writeAnswer(status: status, headers: headers, body: body, minorVersion: request.head.minorVersion, isHead: request.head.method == "HEAD")
        if case .response(let old) = result.result, ShadowMirror.wanted(request: request, prepared: prepared, result: result) {
            worker.mirror(prepared.plan, old: old, upstreams: upstreams, maxConcurrent: request.active.config.shadow?.maxConcurrent ?? 32)
        }
    }

    /// `flag.public_ofrep`: the browser asks for its variant on the public listener (read-only).
    private func answerOFREP(_ request: ProxyRequest) {
        guard !isClosed else { return }
        let answer = OFREPEndpoint.answer(
            path: PathPrefix.path(of: request.head.target), ifNoneMatch: request.head.values(named: "if-none-match"), body: request.body,
            snapshot: request.snapshot)
        writeAnswer(status: answer.status, headers: answer.headers, body: answer.body, minorVersion: request.head.minorVersion, isHead: false)
    }

    // MARK: - Writing answers

    private func writeAnswer(status: Int, headers: HeaderFields, body: [UInt8], minorVersion: Int, isHead: Bool) {
        let closeAfter = machine.answerStarted()
        var headers = headers
        let bodyless = isHead || status == 204 || status == 304 || status < 200
        if !bodyless {
            headers.removeAll { ASCIICase.equals($0.name, "content-length") }
            headers.append(("Content-Length", String(body.count)))
        }
        headers.removeAll { ASCIICase.equals($0.name, "connection") }
        if closeAfter {
            headers.append(("Connection", "close"))
        } else if minorVersion == 0 {
            headers.append(("Connection", "keep-alive"))
        }
        output.reserveCapacity(output.count + 512 + body.count)
        ResponseHeadWriter.write(status: status, minorVersion: minorVersion, headers: headers, into: &output)
        if !bodyless { output.append(contentsOf: body) }
        flush()
    }

    /// An answer the gateway makes itself (the README's "Bad input"); the connection closes after it.
    private func writeError(status: Int, message: String, requestID: String?) {
        worker.stats.rejected(code: status)
        let id = requestID ?? worker.ids.make()
        let body = ErrorBody.make(message, requestID: id)
        let headers: HeaderFields = [
            ("Content-Type", "application/json"), (ForwardingHeaders.requestIDHeader, id), ("Content-Length", String(body.count)),
            ("Connection", "close"),
        ]
        ResponseHeadWriter.write(status: status, minorVersion: 1, headers: headers, into: &output)
        output.append(contentsOf: body)
        flush()
    }

    /// Writes what the socket takes; the rest waits for `writable`.
    private func flush() {
        while outputOffset < output.count {
            let written = output.withUnsafeBytes { bytes in
                Glibc.write(fd, bytes.baseAddress! + outputOffset, bytes.count - outputOffset)
            }
            if written > 0 {
                outputOffset += written
                continue
            }
            if written < 0 && errno == EINTR { continue }
            if written < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) {
                syncInterest()
                return
            }
            close()
            return
        }
        output.removeAll(keepingCapacity: output.capacity <= 64 << 10)
        outputOffset = 0
        perform(machine.writeFinished(now: worker.now))
    }

    // MARK: - Registration

    /// Watches input while the machine wants it, output while answer bytes wait.
    private func syncInterest() {
        let wanted = (machine.wantsToRead ? EPOLLIN.rawValue : 0) | (outputOffset < output.count ? EPOLLOUT.rawValue : 0)
        guard wanted != interest else { return }
        interest = wanted
        worker.epoll.modify(fd, events: wanted, token: token)
    }

    /// Only a deadline earlier than the scheduled entry needs a new one (see `TimerHeap`).
    private func syncTimer() {
        guard let deadline = machine.deadline else { return }
        if let scheduledTimer, scheduledTimer <= deadline.at { return }
        scheduledTimer = deadline.at
        worker.timers.push(deadline.at, self)
    }

    func close() {
        guard !isClosed else { return }
        isClosed = true
        machine.closed()
        worker.connectionClosed(self)
        Glibc.close(fd)
    }
}
