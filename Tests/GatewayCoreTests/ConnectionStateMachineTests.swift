import GatewayCore
import Testing

/// The client connection as a value, driven with a made-up clock: no sockets, no sleeps.
@Suite("Connection state machine", .timeLimit(.minutes(1)))
struct ConnectionStateMachineTests {
    static let second: UInt64 = 1_000_000_000

    static let limits = ConnectionStateMachine.Limits(
        maxRequestBody: 16, maxHeaderBytes: 32 << 10, maxURIBytes: 8 << 10, headerReadTimeout: 10 * second, bodyReadTimeout: 30 * second,
        idleTimeout: 60 * second)

    func feed(_ machine: inout ConnectionStateMachine, _ text: String, now: UInt64 = 0) -> ConnectionStateMachine.Action {
        Array(text.utf8).withUnsafeBytes { machine.receive($0) }
        return machine.next(now: now)
    }

    func forwarded(_ action: ConnectionStateMachine.Action) -> ConnectionStateMachine.Request? {
        if case .forward(let request) = action { return request }
        return nil
    }

    func rejected(_ action: ConnectionStateMachine.Action) -> HTTPRequestError? {
        if case .reject(let error) = action { return error }
        return nil
    }

    func isNone(_ action: ConnectionStateMachine.Action) -> Bool {
        if case .none = action { return true }
        return false
    }

    func isClose(_ action: ConnectionStateMachine.Action) -> Bool {
        if case .close = action { return true }
        return false
    }

    @Test func aNewConnectionMustSendItsHeadInTime() {
        var machine = ConnectionStateMachine(limits: Self.limits, now: 0)
        #expect(machine.deadline?.kind == .headRead)
        #expect(machine.deadline?.at == 10 * Self.second)
        #expect(isNone(machine.timerFired(now: 9 * Self.second)))
        #expect(rejected(machine.timerFired(now: 10 * Self.second))?.status == 408)
        #expect(!machine.wantsToRead)
    }

    @Test func aRequestSplitAnywhereIsForwardedOnce() {
        let text = "POST /checkout HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\n\r\nabcd"
        for split in 1..<text.utf8.count {
            var machine = ConnectionStateMachine(limits: Self.limits, now: 0)
            let bytes = Array(text.utf8)
            var actions: [ConnectionStateMachine.Action] = []
            actions.append(feed(&machine, String(decoding: bytes[..<split], as: UTF8.self)))
            actions.append(feed(&machine, String(decoding: bytes[split...], as: UTF8.self)))
            let requests = actions.compactMap(forwarded)
            #expect(requests.count == 1, "split at \(split)")
            #expect(requests.first?.body == Array("abcd".utf8))
            #expect(requests.first?.head.method == "POST")
        }
    }

    @Test func keepAliveMovesToTheIdleDeadlineAndPipelinedRequestsWait() {
        var machine = ConnectionStateMachine(limits: Self.limits, now: 0)
        let two = "GET /a HTTP/1.1\r\nHost: a\r\n\r\nGET /b HTTP/1.1\r\nHost: a\r\n\r\n"
        let first = forwarded(feed(&machine, two, now: Self.second))
        #expect(first?.head.target == "/a")
        #expect(first?.keepAlive == true)
        #expect(machine.deadline == nil, "the upstream's timeout bounds a forwarded request")
        // The second request is not parsed while the first is owed.
        #expect(isNone(machine.next(now: Self.second)))
        #expect(machine.answerStarted() == false)
        let second = forwarded(machine.writeFinished(now: 2 * Self.second))
        #expect(second?.head.target == "/b")
        #expect(machine.answerStarted() == false)
        #expect(isNone(machine.writeFinished(now: 3 * Self.second)))
        #expect(machine.deadline?.kind == .idle)
        #expect(machine.deadline?.at == 63 * Self.second)
        #expect(isClose(machine.timerFired(now: 63 * Self.second)))
    }

    @Test func connectionCloseAndHTTP10CloseAfterTheAnswer() {
        var machine = ConnectionStateMachine(limits: Self.limits, now: 0)
        #expect(forwarded(feed(&machine, "GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n"))?.keepAlive == false)
        #expect(machine.answerStarted() == true)
        #expect(isClose(machine.writeFinished(now: 0)))

        var old = ConnectionStateMachine(limits: Self.limits, now: 0)
        #expect(forwarded(feed(&old, "GET / HTTP/1.0\r\n\r\n"))?.keepAlive == false)
        var kept = ConnectionStateMachine(limits: Self.limits, now: 0)
        #expect(forwarded(feed(&kept, "GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"))?.keepAlive == true)
    }

    @Test func aPartialPipelinedHeadGetsTheHeadReadDeadline() {
        var machine = ConnectionStateMachine(limits: Self.limits, now: 0)
        _ = feed(&machine, "GET /a HTTP/1.1\r\nHost: a\r\n\r\nGET /b HT")
        _ = machine.answerStarted()
        #expect(isNone(machine.writeFinished(now: 5 * Self.second)))
        #expect(machine.deadline?.kind == .headRead)
        #expect(rejected(machine.timerFired(now: 15 * Self.second))?.status == 408)
    }

    @Test func aBodyMustArriveInTimeAndWithinTheLimit() {
        var slow = ConnectionStateMachine(limits: Self.limits, now: 0)
        #expect(isNone(feed(&slow, "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\n\r\nab", now: Self.second)))
        #expect(slow.deadline?.kind == .bodyRead)
        #expect(rejected(slow.timerFired(now: 31 * Self.second))?.status == 408)

        var large = ConnectionStateMachine(limits: Self.limits, now: 0)
        #expect(rejected(feed(&large, "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 17\r\n\r\n"))?.status == 413)
        var chunked = ConnectionStateMachine(limits: Self.limits, now: 0)
        let error = rejected(feed(&chunked, "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n11\r\n01234567890123456\r\n"))
        #expect(error?.status == 413)
    }

    @Test func expectContinueIsAnsweredBeforeTheBody() {
        var machine = ConnectionStateMachine(limits: Self.limits, now: 0)
        let action = feed(&machine, "POST / HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n")
        guard case .sendContinue = action else {
            Issue.record("expected sendContinue, got \(action)")
            return
        }
        #expect(isNone(machine.next(now: 0)))
        #expect(forwarded(feed(&machine, "ok"))?.body == Array("ok".utf8))
    }

    @Test func headChecksRejectWithTheirStatus() {
        let cases: [(String, Int)] = [
            ("CONNECT a:443 HTTP/1.1\r\nHost: a\r\n\r\n", 501),
            ("GET http://a/ HTTP/1.1\r\nHost: a\r\n\r\n", 400),
            ("GET / HTTP/1.1\r\n\r\n", 400),
            ("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400),
            ("HEAD / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\n\r\nx", 400),
            ("POST / HTTP/1.1\r\nHost: a\r\nExpect: 200-ok\r\nContent-Length: 1\r\n\r\nx", 417),
            ("GET / HTTP/1.1\r\nHost : a\r\n\r\n", 400),
        ]
        for (text, status) in cases {
            var machine = ConnectionStateMachine(limits: Self.limits, now: 0)
            #expect(rejected(feed(&machine, text))?.status == status, "\(text.debugDescription)")
            #expect(!machine.wantsToRead)
        }
    }

    @Test func quiesceClosesIdleConnectionsAtOnceAndBusyOnesAfterTheirAnswer() {
        var idle = ConnectionStateMachine(limits: Self.limits, now: 0)
        #expect(isClose(idle.quiesce()))

        var busy = ConnectionStateMachine(limits: Self.limits, now: 0)
        #expect(forwarded(feed(&busy, "GET / HTTP/1.1\r\nHost: a\r\n\r\n")) != nil)
        #expect(isNone(busy.quiesce()))
        #expect(busy.answerStarted() == true, "the answer says Connection: close")
        #expect(isClose(busy.writeFinished(now: 0)))
    }

    @Test func anUpgradeIsAnsweredThenTheConnectionCloses() {
        var machine = ConnectionStateMachine(limits: Self.limits, now: 0)
        #expect(forwarded(feed(&machine, "GET / HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: upgrade\r\n\r\n")) != nil)
        #expect(!machine.wantsToRead)
        #expect(machine.answerStarted() == true)
    }

    @Test func theClientClosingItsSideStillGetsTheAnswerOwed() {
        var machine = ConnectionStateMachine(limits: Self.limits, now: 0)
        #expect(forwarded(feed(&machine, "GET / HTTP/1.1\r\nHost: a\r\n\r\n")) != nil)
        #expect(isNone(machine.inputEnded()))
        #expect(machine.answerStarted() == true)
        #expect(isClose(machine.writeFinished(now: 0)))

        var midHead = ConnectionStateMachine(limits: Self.limits, now: 0)
        #expect(isNone(feed(&midHead, "GET / HT")))
        #expect(isClose(midHead.inputEnded()))
    }

    @Test func pipelinedInputBeyondTheLimitStopsReading() {
        var machine = ConnectionStateMachine(limits: Self.limits, now: 0)
        #expect(forwarded(feed(&machine, "GET / HTTP/1.1\r\nHost: a\r\n\r\n")) != nil)
        let filler = String(repeating: "GET / HTTP/1.1\r\nHost: a\r\n\r\n", count: (machine.pipelineLimit / 27) + 2)
        Array(filler.utf8).withUnsafeBytes { machine.receive($0) }
        #expect(!machine.wantsToRead)
        _ = machine.answerStarted()
        #expect(forwarded(machine.writeFinished(now: 0)) != nil)
    }

    @Test func reloadedLimitsApplyFromTheNextHead() {
        var machine = ConnectionStateMachine(limits: Self.limits, now: 0)
        #expect(forwarded(feed(&machine, "GET / HTTP/1.1\r\nHost: a\r\n\r\n")) != nil)
        var smaller = Self.limits
        smaller.maxURIBytes = 4
        machine.update(limits: smaller)
        _ = machine.answerStarted()
        #expect(isNone(machine.writeFinished(now: 0)))
        #expect(rejected(feed(&machine, "GET /longer HTTP/1.1\r\nHost: a\r\n\r\n"))?.status == 414)
    }
}
