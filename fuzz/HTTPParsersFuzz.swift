// libFuzzer entry point for the request parser and the response-head parser (scripts/fuzz).
// Invariants checked on every input, beyond "no crash, no sanitizer report":
// - the request parser gives the same events whether the input arrives whole or in two pieces
//   split at a point the input chooses;
// - it never delivers more bytes of body than it was given;
// - the response head never keeps a header whose name is not a token;
// - the connection state machine, driven as a worker drives it (each request answered at once),
//   forwards the same requests and ends the same way whether the input arrives whole or split,
//   never forwards a body over its limit, and never wants input after it closed.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzHTTPParsers(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let limits = RequestParserLimits(maxURIBytes: 256, maxHeaderBytes: 1024)

    func run(_ pieces: [ArraySlice<UInt8>]) -> [RequestParser.Event] {
        var parser = RequestParser(limits: limits)
        var events: [RequestParser.Event] = []
        for piece in pieces {
            parser.append(piece)
            while let event = parser.next() {
                if case .body(let more) = event, case .body(let before)? = events.last {
                    events[events.count - 1] = .body(before + more)
                } else {
                    events.append(event)
                }
            }
        }
        return events
    }
    let whole = run([bytes[...]])
    let cut = bytes.isEmpty ? 0 : Int(bytes[0]) % (bytes.count + 1)
    let split = run([bytes[..<cut], bytes[cut...]])
    if whole != split { fatalError("the request parser's events depend on how the input is split") }
    let bodyBytes = whole.reduce(0) { total, event in
        if case .body(let chunk) = event { return total + chunk.count }
        return total
    }
    if bodyBytes > bytes.count { fatalError("more body than input") }

    let whole2 = drive([bytes[...]])
    let split2 = drive([bytes[..<cut], bytes[cut...]])
    if whole2 != split2 { fatalError("the connection's requests depend on how the input is split: \(whole2) vs \(split2)") }

    var head = ResponseHead()
    var lineStart = 0
    for (index, byte) in bytes.enumerated() where byte == 0x0A {
        bytes[lineStart...index].withUnsafeBytes { head.receive(line: $0) }
        lineStart = index + 1
    }
    for header in head.headers where !header.name.utf8.allSatisfy(HTTPBytes.isTokenByte) || header.name.isEmpty {
        fatalError("a response header name that is not a token: \(header.name.debugDescription)")
    }
    return 0
}

/// What a connection did with its input: the targets and body sizes it forwarded, then how it
/// ended (a rejection's status, closed, or waiting for more).
private func drive(_ pieces: [ArraySlice<UInt8>]) -> [String] {
    let limits = ConnectionStateMachine.Limits(
        maxRequestBody: 64, maxHeaderBytes: 1024, maxURIBytes: 256, headerReadTimeout: 10, bodyReadTimeout: 10, idleTimeout: 10)
    var machine = ConnectionStateMachine(limits: limits, now: 0)
    var outcome: [String] = []
    for piece in pieces {
        piece.withUnsafeBytes { machine.receive($0) }
        var action = machine.next(now: 1)
        loop: while true {
            switch action {
            case .none:
                break loop
            case .sendContinue:
                action = machine.next(now: 1)
            case .forward(let request):
                if request.body.count > limits.maxRequestBody { fatalError("a body over the limit was forwarded") }
                outcome.append("\(request.head.method) \(request.head.target) \(request.body.count)")
                _ = machine.answerStarted()
                action = machine.writeFinished(now: 1)
            case .reject(let error):
                outcome.append("reject \(error.status)")
                action = machine.writeFinished(now: 1)
            case .close:
                if machine.wantsToRead { fatalError("a closed connection wants input") }
                outcome.append("close")
                return outcome
            }
        }
        if machine.isClosed { return outcome }
    }
    return outcome
}
