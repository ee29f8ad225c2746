// libFuzzer entry point for the request parser and the response-head parser (scripts/fuzz).
// Invariants checked on every input, beyond "no crash, no sanitizer report":
// - the request parser gives the same events whether the input arrives whole or in two pieces
//   split at a point the input chooses;
// - it never delivers more bytes of body than it was given;
// - the response head never keeps a header whose name is not a token.

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
