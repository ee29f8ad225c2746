/// A strict, incremental HTTP/1.1 request parser over bytes: feed it what the socket gave,
/// pull events. It knows nothing of sockets, so it is tested in milliseconds.
///
/// Strict where leniency has been used for request smuggling (RFC 9112 §2.2, §5, §6, §7, §11):
/// CRLF only (a bare CR or LF is an error), single spaces in the request line, no whitespace
/// before a colon, no obs-fold, no control characters in values, Content-Length as digits only
/// and never twice with different values or beside Transfer-Encoding, `chunked` as the only
/// transfer coding. Every verdict carries the status the README's "Bad input" asks for.
///
/// Input is held only as far as it is needed: a head until it is complete (and never past the
/// URI and header limits: 414 and 431 are decided as soon as a limit is crossed), body bytes
/// not at all beyond one `append`.
public struct RequestParser: Sendable {
    public enum Event: Sendable, Equatable {
        case head(ParsedRequestHead)
        case body([UInt8])
        case end
        /// The input cannot be read as HTTP/1.1; nothing after it is parsed.
        case failure(HTTPRequestError)
    }

    /// Where the parser is in the input.
    private enum State: Sendable {
        /// Reading a head; `HeadScan` says how far.
        case head
        case fixedBody(remaining: Int)
        case chunkSize
        case chunkData(remaining: Int)
        /// The CRLF that ends a chunk's data.
        case chunkDataEnd
        case trailers
        /// After a request that closes the connection (`Connection: close`, or HTTP/1.0 without
        /// keep-alive): any further byte is an error, as llhttp has it.
        case closed
        case failed
    }

    /// Progress through a head, so bytes are examined once however they are split.
    private struct HeadScan: Sendable {
        enum Phase: Sendable { case method, target, version, fields }
        var phase = Phase.method
        /// Offsets into `buffer`, relative to `start`.
        var position = 0
        var methodEnd = 0
        var targetStart = 0
        var targetEnd = 0
        var lineStart = 0
        /// A CR was the last byte examined; the next must be LF.
        var sawCR = false
        var fieldLines: [Range<Int>] = []
        var headerBytes = 0
    }

    public var limits: RequestParserLimits
    private var state = State.head
    private var scan = HeadScan()
    private var buffer: [UInt8] = []
    private var start = 0
    /// Bytes of the current chunk-size line or trailer line seen so far (bounded).
    private var lineBytes = 0
    private var trailerBytes = 0

    /// RFC 9110's methods and PATCH; anything else gets 501 (RFC 9110 §9.1): a checkout proxy
    /// has no use for extension methods, and an unknown method is a smuggling probe's favourite.
    static let supportedMethods: [[UInt8]] = ["GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH"].map { Array($0.utf8) }

    static func isSupportedMethod(_ bytes: ArraySlice<UInt8>) -> Bool {
        supportedMethods.contains { $0.elementsEqual(bytes) }
    }

    /// RFC 9112 §3.2: `/path` (origin form), `scheme://…` (absolute form), `*` for OPTIONS, and
    /// anything for CONNECT (its authority form is refused later, with CONNECT itself).
    private func hasRequestTargetForm(method: Range<Int>, target: Range<Int>) -> Bool {
        let first = buffer[target.lowerBound]
        if first == UInt8(ascii: "/") { return true }
        let methodBytes = buffer[method]
        if methodBytes.elementsEqual("CONNECT".utf8) { return true }
        if first == UInt8(ascii: "*") { return target.count == 1 && methodBytes.elementsEqual("OPTIONS".utf8) }
        var index = target.lowerBound
        while index < target.upperBound, (buffer[index] | 0x20) >= UInt8(ascii: "a"), (buffer[index] | 0x20) <= UInt8(ascii: "z") { index += 1 }
        return index > target.lowerBound && buffer[index..<target.upperBound].starts(with: "://".utf8)
    }

    /// The longest method, version and chunk-size line accepted.
    static let maxMethodBytes = 32
    static let maxChunkLineBytes = 1024

    public init(limits: RequestParserLimits) {
        self.limits = limits
    }

    /// Bytes of a request head have arrived and the head is not complete: the head-read
    /// deadline applies, not the idle one.
    public var hasPartialHead: Bool {
        if case .head = state { return buffer.count > start }
        return false
    }

    /// Input received and not parsed yet (pipelined requests wait here while an answer is owed).
    public var bufferedByteCount: Int { buffer.count - start }

    /// Between requests with nothing buffered.
    public var isIdle: Bool { if case .head = state { return buffer.count == start } else { return false } }

    public mutating func append(_ bytes: some Collection<UInt8>) {
        if case .failed = state { return }
        if start > 0 && start == buffer.count {
            buffer.removeAll(keepingCapacity: true)
            start = 0
        } else if start > 4096 && start > buffer.count / 2 {
            buffer.removeSubrange(0..<start)
            start = 0
        }
        buffer.append(contentsOf: bytes)
    }

    /// The next event, or nil when more input is needed.
    public mutating func next() -> Event? {
        switch state {
        case .failed:
            return nil
        case .closed:
            // Empty lines are ignored, as between requests; anything else is an error.
            while start < buffer.count, buffer[start] == 0x0D || buffer[start] == 0x0A { start += 1 }
            return buffer.count > start ? fail(400, "data after a request that closes the connection") : nil
        case .head:
            return parseHead()
        case .fixedBody(let remaining):
            guard let (chunk, left) = takeBody(upTo: remaining) else { return nil }
            state = left == 0 ? .head : .fixedBody(remaining: left)
            if left == 0 { pendingEnd = true }
            return .body(chunk)
        case .chunkSize:
            return parseChunkSize()
        case .chunkData(let remaining):
            guard let (chunk, left) = takeBody(upTo: remaining) else { return nil }
            state = left == 0 ? .chunkDataEnd : .chunkData(remaining: left)
            return .body(chunk)
        case .chunkDataEnd:
            guard buffer.count - start >= 2 else {
                if buffer.count - start == 1 && buffer[start] != 0x0D { return fail(400, "chunk data is not followed by CRLF") }
                return nil
            }
            guard buffer[start] == 0x0D, buffer[start + 1] == 0x0A else { return fail(400, "chunk data is not followed by CRLF") }
            start += 2
            state = .chunkSize
            return parseChunkSize()
        case .trailers:
            return parseTrailers()
        }
    }

    /// Whether the request being read closes the connection after its answer.
    private var closesConnection = false

    private mutating func endOfMessage() -> Event {
        if closesConnection { state = .closed }
        return .end
    }

    /// Up to `remaining` buffered body bytes, and how many are still to come; nil when none is
    /// buffered.
    private mutating func takeBody(upTo remaining: Int) -> ([UInt8], Int)? {
        let count = min(buffer.count - start, remaining)
        guard count > 0 else { return nil }
        defer { start += count }
        return (Array(buffer[start..<(start + count)]), remaining - count)
    }

    /// Set when a fixed-length body's last byte was returned: `.end` comes next.
    private var pendingEnd = false

    // MARK: - Head

    private mutating func parseHead() -> Event? {
        if pendingEnd {
            pendingEnd = false
            return endOfMessage()
        }
        while start + scan.position < buffer.count {
            let byte = buffer[start + scan.position]
            if scan.sawCR {
                guard byte == 0x0A else { return fail(400, "a CR in the request head is not followed by LF") }
                scan.sawCR = false
                switch endOfLine(at: scan.position - 1) {
                case .failed(let event): return event
                case .headEnded:
                    scan.position += 1
                    return finishHead()
                case .more:
                    scan.position += 1
                    continue
                }
            }
            switch scan.phase {
            case .method:
                if byte == 0x20 {
                    guard scan.position > 0 else { return fail(400, "the request line starts with a space") }
                    guard Self.isSupportedMethod(buffer[start..<(start + scan.position)]) else {
                        return fail(501, "the request method is not supported")
                    }
                    scan.methodEnd = scan.position
                    scan.targetStart = scan.position + 1
                    scan.phase = .target
                } else if byte == 0x0D && scan.position == 0 {
                    scan.sawCR = true
                } else if byte == 0x0A {
                    return fail(400, "a bare LF in the request head")
                } else if !HTTPBytes.isTokenByte(byte) {
                    return fail(400, "the request method is not a token")
                } else if scan.position >= Self.maxMethodBytes {
                    return fail(400, "the request method is longer than \(Self.maxMethodBytes) bytes")
                }
            case .target:
                if byte == 0x20 {
                    guard scan.position > scan.targetStart else { return fail(400, "two spaces after the method") }
                    guard hasRequestTargetForm(method: start..<(start + scan.methodEnd), target: (start + scan.targetStart)..<(start + scan.position))
                    else {
                        return fail(400, "the request target is not in origin, absolute, authority or asterisk form")
                    }
                    scan.targetEnd = scan.position
                    scan.phase = .version
                } else if !HTTPBytes.isTargetByte(byte) {
                    return fail(400, "the request target holds a byte that is not visible ASCII")
                } else if scan.position - scan.targetStart >= limits.maxURIBytes {
                    return fail(414, "the request URI is longer than \(limits.maxURIBytes) bytes")
                }
            case .version:
                if byte == 0x0D {
                    scan.sawCR = true
                } else if byte == 0x0A {
                    return fail(400, "a bare LF in the request head")
                } else if scan.position - scan.targetEnd > 9 {
                    return fail(400, "the request line does not end with HTTP/1.1 or HTTP/1.0")
                }
            case .fields:
                if byte == 0x0D {
                    scan.sawCR = true
                } else if byte == 0x0A {
                    return fail(400, "a bare LF in the request head")
                } else if scan.headerBytes + (scan.position - scan.lineStart) + 1 > limits.maxHeaderBytes {
                    return fail(431, "the request headers are larger than \(limits.maxHeaderBytes) bytes")
                }
            }
            scan.position += 1
        }
        return nil
    }

    private enum LineOutcome {
        case more
        case headEnded
        case failed(Event)
    }

    /// A line of the head ended at `crOffset` (the offset of its CR).
    private mutating func endOfLine(at crOffset: Int) -> LineOutcome {
        switch scan.phase {
        case .method:
            // An empty line before a request (RFC 9112 §2.2 allows ignoring it): drop it.
            start += 2
            scan = HeadScan()
            scan.position = -1
            return .more
        case .target:
            return .failed(fail(400, "the request line has no HTTP version"))
        case .version:
            let version = Array(buffer[(start + scan.targetEnd + 1)..<(start + crOffset)])
            func isDigit(_ byte: UInt8) -> Bool { byte >= 0x30 && byte <= 0x39 }
            guard version.count == 8, version.starts(with: Array("HTTP/".utf8)), isDigit(version[5]), version[6] == UInt8(ascii: "."),
                isDigit(version[7])
            else {
                return .failed(fail(400, "the request line does not end with HTTP/1.1 or HTTP/1.0"))
            }
            guard version[5] == UInt8(ascii: "1"), version[7] <= UInt8(ascii: "1") else {
                return .failed(fail(505, "only HTTP/1.1 and HTTP/1.0 are supported"))
            }
            scan.phase = .fields
            scan.lineStart = crOffset + 2
            return .more
        case .fields:
            if crOffset == scan.lineStart { return .headEnded }
            let line = scan.lineStart..<crOffset
            scan.headerBytes += line.count + 2
            if scan.headerBytes > limits.maxHeaderBytes {
                return .failed(fail(431, "the request headers are larger than \(limits.maxHeaderBytes) bytes"))
            }
            if let problem = checkFieldLine((start + line.lowerBound)..<(start + line.upperBound), what: "header") {
                return .failed(fail(problem.status, problem.message))
            }
            scan.fieldLines.append(line)
            scan.lineStart = crOffset + 2
            return .more
        }
    }

    /// Name, colon, optional whitespace, value, optional whitespace (RFC 9112 §5); `line` is
    /// absolute offsets into `buffer`, without its CRLF.
    private func checkFieldLine(_ line: Range<Int>, what: String) -> HTTPRequestError? {
        let first = buffer[line.lowerBound]
        if first == 0x20 || first == 0x09 {
            return HTTPRequestError(400, "a folded \(what) line (obs-fold)")
        }
        guard let colon = buffer[line].firstIndex(of: UInt8(ascii: ":")), colon > line.lowerBound else {
            return HTTPRequestError(400, "a \(what) line without a name and a colon")
        }
        for offset in line.lowerBound..<colon where !HTTPBytes.isTokenByte(buffer[offset]) {
            return HTTPRequestError(400, "a \(what) name holds a byte that is not a token character (whitespace before the colon?)")
        }
        for offset in (colon + 1)..<line.upperBound where !HTTPBytes.isValueByte(buffer[offset]) {
            return HTTPRequestError(400, "a \(what) value holds a control character")
        }
        return nil
    }

    private mutating func finishHead() -> Event? {
        let base = start
        func text(_ range: Range<Int>) -> String {
            String(decoding: buffer[(base + range.lowerBound)..<(base + range.upperBound)], as: UTF8.self)
        }
        let method = text(0..<scan.methodEnd)
        let target = text(scan.targetStart..<scan.targetEnd)
        let minor = Int(buffer[base + scan.targetEnd + 8] - UInt8(ascii: "0"))
        // The header section is copied once; fields are ranges into the copy. Only the fields
        // that frame the message or close the connection are read as text here.
        let sectionStart = scan.fieldLines.first?.lowerBound ?? 0
        let sectionEnd = scan.fieldLines.last?.upperBound ?? sectionStart
        let section = Array(buffer[(base + sectionStart)..<(base + sectionEnd)])
        var fields: [ParsedRequestHead.Field] = []
        fields.reserveCapacity(scan.fieldLines.count)
        var contentLengths: [String] = []
        var transferEncodings: [String] = []
        var closeToken = false
        var keepAliveToken = false
        for line in scan.fieldLines {
            var colon = line.lowerBound
            while buffer[base + colon] != UInt8(ascii: ":") { colon += 1 }
            var valueStart = colon + 1
            var valueEnd = line.upperBound
            while valueStart < valueEnd, buffer[base + valueStart] == 0x20 || buffer[base + valueStart] == 0x09 { valueStart += 1 }
            while valueEnd > valueStart, buffer[base + valueEnd - 1] == 0x20 || buffer[base + valueEnd - 1] == 0x09 { valueEnd -= 1 }
            let field = ParsedRequestHead.Field(
                name: (line.lowerBound - sectionStart)..<(colon - sectionStart), value: (valueStart - sectionStart)..<(valueEnd - sectionStart))
            fields.append(field)
            let name = section[field.name]
            let isContentLength = ASCIICase.equals(name, "content-length")
            let isTransferEncoding = ASCIICase.equals(name, "transfer-encoding")
            // The fields that frame the body take spaces only: a tab there is how some parsers
            // are told apart from others (request smuggling), so it is refused.
            if (isContentLength || isTransferEncoding) && buffer[(base + colon + 1)..<(base + line.upperBound)].contains(0x09) {
                start += scan.position
                return fail(400, "a tab in a Content-Length or Transfer-Encoding field")
            }
            if isContentLength { contentLengths.append(text(valueStart..<valueEnd)) }
            if isTransferEncoding { transferEncodings.append(text(valueStart..<valueEnd)) }
            if ASCIICase.equals(name, "connection") {
                HeaderRules.forEachToken(in: text(valueStart..<valueEnd)) { token in
                    if ASCIICase.equals(token, "close") { closeToken = true }
                    if ASCIICase.equals(token, "keep-alive") { keepAliveToken = true }
                }
            }
        }
        start += scan.position
        scan = HeadScan()
        closesConnection = closeToken || (minor == 0 && !keepAliveToken)

        var framing = ParsedRequestHead.Framing.none
        if !transferEncodings.isEmpty {
            if minor == 0 { return fail(400, "Transfer-Encoding is not allowed on an HTTP/1.0 request") }
            guard transferEncodings.count == 1, ASCIICase.equals(transferEncodings[0], "chunked") else {
                return fail(501, "only Transfer-Encoding: chunked is supported")
            }
            if !contentLengths.isEmpty { return fail(400, "both Content-Length and Transfer-Encoding") }
            framing = .chunked
        }
        var length: Int?
        for value in contentLengths {
            guard !value.isEmpty, value.utf8.count <= 18, value.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), let parsed = Int(value),
                length == nil || length == parsed
            else {
                return fail(400, "invalid or conflicting Content-Length")
            }
            length = parsed
        }
        if let length, length > 0 { framing = .contentLength(length) }

        switch framing {
        case .none: pendingEnd = true
        case .contentLength(let length): state = .fixedBody(remaining: length)
        case .chunked:
            state = .chunkSize
            lineBytes = 0
        }
        return .head(ParsedRequestHead(method: method, target: target, minorVersion: minor, bytes: section, fields: fields, framing: framing))
    }

    // MARK: - Chunked body

    /// `chunk-size [ chunk-ext ] CRLF`; a size of 0 starts the trailer section.
    private mutating func parseChunkSize() -> Event? {
        let lineEnd = findLineEnd(from: start)
        let tooLong = HTTPRequestError(400, "a chunk-size line longer than \(Self.maxChunkLineBytes) bytes")
        if let violation = framingViolation(upTo: lineEnd ?? buffer.count, limit: Self.maxChunkLineBytes, tooLong: tooLong) {
            return fail(violation.status, violation.message)
        }
        guard let lineEnd else { return nil }
        var size = 0
        var digits = 0
        var index = start
        while index < lineEnd, let value = HTTPBytes.hexValue(buffer[index]) {
            digits += 1
            guard digits <= 15 else { return fail(400, "a chunk size too large") }
            size = size * 16 + value
            index += 1
        }
        guard digits > 0 else { return fail(400, "a chunk without a hexadecimal size") }
        if index < lineEnd {
            // Chunk extensions are allowed and ignored; whitespace may precede them (BWS).
            var cursor = index
            while cursor < lineEnd, buffer[cursor] == 0x20 || buffer[cursor] == 0x09 { cursor += 1 }
            guard cursor < lineEnd, buffer[cursor] == UInt8(ascii: ";") else {
                return fail(400, "a chunk size followed by something other than an extension")
            }
            for offset in cursor..<lineEnd where !HTTPBytes.isValueByte(buffer[offset]) {
                return fail(400, "a chunk extension holds a control character")
            }
        }
        start = lineEnd + 2
        if size == 0 {
            state = .trailers
            trailerBytes = 0
            return parseTrailers()
        }
        state = .chunkData(remaining: size)
        return next()
    }

    /// Trailer fields after the last chunk are checked like header fields and dropped (the
    /// request goes upstream with a Content-Length); an empty line ends the message.
    private mutating func parseTrailers() -> Event? {
        while true {
            let lineEnd = findLineEnd(from: start)
            // A line of n bytes takes n + 2 of the section's budget, its CRLF included.
            let budget = max(0, limits.maxHeaderBytes - trailerBytes - 2)
            let tooLarge = HTTPRequestError(431, "the trailer section is larger than \(limits.maxHeaderBytes) bytes")
            if let violation = framingViolation(upTo: lineEnd ?? buffer.count, limit: budget, tooLong: tooLarge) {
                return fail(violation.status, violation.message)
            }
            guard let lineEnd else { return nil }
            if lineEnd == start {
                start += 2
                state = .head
                return endOfMessage()
            }
            trailerBytes += lineEnd - start + 2
            if let problem = checkFieldLine(start..<lineEnd, what: "trailer") { return fail(problem.status, problem.message) }
            start = lineEnd + 2
        }
    }

    /// The offset of the CR of the first CRLF at or after `from`, or nil when none is buffered.
    private func findLineEnd(from: Int) -> Int? {
        var index = from
        while index + 1 < buffer.count {
            if buffer[index] == 0x0D && buffer[index + 1] == 0x0A { return index }
            index += 1
        }
        return nil
    }

    /// The first thing wrong with the framing of the line that starts at `start`, looking at the
    /// bytes before `end` (its CRLF, or what is buffered): a bare LF, a CR followed by anything
    /// but LF, or more than `limit` bytes. Judged byte by byte in order, so the verdict does not
    /// depend on how the input was split; a CR that ends the buffer waits for the next byte.
    private func framingViolation(upTo end: Int, limit: Int, tooLong: HTTPRequestError) -> HTTPRequestError? {
        var index = start
        while index < end {
            let byte = buffer[index]
            if byte == 0x0D {
                guard index + 1 < buffer.count else { return nil }
                if buffer[index + 1] != 0x0A { return HTTPRequestError(400, "a bare CR in the chunked body framing") }
            }
            if index - start >= limit { return tooLong }
            if byte == 0x0A { return HTTPRequestError(400, "a bare LF in the chunked body framing") }
            index += 1
        }
        return nil
    }

    // MARK: - Failure

    private mutating func fail(_ status: Int, _ message: String) -> Event {
        state = .failed
        buffer = []
        start = 0
        return .failure(HTTPRequestError(status, message))
    }
}
