import GatewayCore
import NIOCore
import NIOEmbedded
import NIOHTTP1
import Testing

/// The gateway's request parser against NIO's `HTTPRequestDecoder` (llhttp) on the same bytes:
/// every case of the README's "Bad input" table plus 100,000 generated and mutated requests
/// (seeded, so a failure replays). Where both accept, they must agree on every request's method,
/// target, version, headers and body; where they differ, only the listed ways in which the
/// gateway is deliberately stricter are allowed — it is never more lenient than llhttp.
@Suite("Request parser against llhttp", .timeLimit(.minutes(2)))
struct ParserDifferentialTests {
    /// A request as a parser delivered it.
    struct Parsed: Equatable, CustomStringConvertible {
        var method: String
        var target: String
        var minor: Int
        var headers: [String]
        var body: [UInt8]

        var description: String { "\(method) \(target) 1.\(minor) \(headers) \(body.count) bytes" }
    }

    /// The requests parsed before the end of input or the first error, and whether an error came.
    struct Verdict {
        var requests: [Parsed] = []
        var failed = false
        var failure: String?
    }

    static let limits = RequestParserLimits(maxURIBytes: 8 << 10, maxHeaderBytes: 32 << 10)

    static func ours(_ input: [UInt8]) -> Verdict {
        var parser = RequestParser(limits: limits)
        parser.append(input)
        var verdict = Verdict()
        var current: Parsed?
        while let event = parser.next() {
            switch event {
            case .head(let head):
                current = Parsed(
                    method: head.method, target: head.target, minor: head.minorVersion, headers: head.headers.map { "\($0.name): \($0.value)" },
                    body: [])
            case .body(let bytes):
                current?.body += bytes
            case .end:
                if let current { verdict.requests.append(current) }
                current = nil
            case .failure(let error):
                verdict.failed = true
                verdict.failure = error.message
                return verdict
            }
        }
        return verdict
    }

    static func llhttp(_ input: [UInt8]) -> Verdict {
        let channel = EmbeddedChannel(handler: ByteToMessageHandler(HTTPRequestDecoder()))
        var verdict = Verdict()
        var current: Parsed?
        func drain() throws {
            while let part = try channel.readInbound(as: HTTPServerRequestPart.self) {
                switch part {
                case .head(let head):
                    current = Parsed(
                        method: head.method.rawValue, target: head.uri, minor: Int(head.version.minor),
                        headers: head.headers.map { "\($0.name): \($0.value.trimmingSpaces)" },
                        body: []
                    )
                case .body(let buffer):
                    current?.body += Array(buffer.readableBytesView)
                case .end:
                    if let current { verdict.requests.append(current) }
                    current = nil
                }
            }
        }
        do {
            try channel.writeInbound(ByteBuffer(bytes: input))
            try drain()
        } catch {
            try? drain()
            verdict.failed = true
        }
        _ = try? channel.finish()
        return verdict
    }

    /// The ways the gateway is stricter than llhttp on purpose (RFC 9112 §2.2, §6.3, §7.1 and
    /// the README's "Bad input"), by the message it refuses with.
    static let deliberatelyStricter = [
        "a bare LF in the request head",  // llhttp accepts LF line ends
        "a bare LF in the chunked body framing",
        "a bare CR in the chunked body framing",
        "the request target holds a byte that is not visible ASCII",  // llhttp lets raw bytes ≥ 0x80 through
        "a header value holds a control character",  // llhttp lets some through (e.g. DEL)
        "a trailer value holds a control character",
        "only Transfer-Encoding: chunked is supported",  // llhttp accepts other codings (501 here)
        "Transfer-Encoding is not allowed on an HTTP/1.0 request",
        "invalid or conflicting Content-Length",  // "5, 5" lists, equal duplicates
        "only HTTP/1.1 and HTTP/1.0 are supported",  // HTTP/1.2+ (505 here)
        "the request method is longer than 32 bytes",
        "the request method is not supported",
        "a tab in a Content-Length or Transfer-Encoding field",
        "data after a request that closes the connection",
        "the request target is not in origin, absolute, authority or asterisk form",  // llhttp knows WebDAV and RTSP methods (501 here)
        "a chunk size followed by something other than an extension",
        "a chunk extension holds a control character",
        "the request line starts with a space",
        "two spaces after the method",
        "the request line does not end with HTTP/1.1 or HTTP/1.0",
        "a CR in the request head is not followed by LF",
        "a header name holds a byte that is not a token character (whitespace before the colon?)",
        "a trailer name holds a byte that is not a token character (whitespace before the colon?)",
        "a header line without a name and a colon",
        "a trailer line without a name and a colon",
        "a folded header line (obs-fold)",
        "a folded trailer line (obs-fold)",
        "the request headers are larger than 32768 bytes",
    ]

    /// Compares the two on one input; nil when they agree (or differ only as allowed).
    static func disagreement(_ input: [UInt8]) -> String? {
        disagreement(ours: ours(input), input)
    }

    static func disagreement(ours: Verdict, _ input: [UInt8]) -> String? {
        let theirs = llhttp(input)
        let shared = min(ours.requests.count, theirs.requests.count)
        for index in 0..<shared where ours.requests[index] != theirs.requests[index] {
            return "request \(index) differs: ours \(ours.requests[index]), llhttp \(theirs.requests[index])"
        }
        if ours.requests.count > theirs.requests.count {
            // More requests out of ours than llhttp delivered: only when llhttp failed first, and
            // never on a request llhttp refused.
            return "ours delivered \(ours.requests.count) requests, llhttp \(theirs.requests.count) (llhttp failed: \(theirs.failed))"
        }
        if theirs.requests.count > ours.requests.count {
            guard ours.failed, let reason = ours.failure, deliberatelyStricter.contains(reason) else {
                return "llhttp delivered \(theirs.requests.count) requests, ours \(ours.requests.count) (\(ours.failure ?? "no error"))"
            }
        }
        if ours.failed && !theirs.failed {
            guard let reason = ours.failure, deliberatelyStricter.contains(reason) else {
                return "ours refused what llhttp accepts: \(ours.failure ?? "")"
            }
        }
        if theirs.failed && !ours.failed && theirs.requests.count == ours.requests.count {
            // llhttp refused where ours only waits for more input (an incomplete request) — fine;
            // ours accepting a complete request llhttp refused is not.
            return nil
        }
        return nil
    }

    @Test(arguments: [
        "GET /checkout HTTP/1.1\r\nHost: a\r\n\r\n",
        "POST /a HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello",
        "POST /a HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
        "GARBAGE\r\n\r\n",
        "GET /a HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
        "POST /a HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd",
        "POST /a HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n\r\n",
        "POST /a HTTP/1.1\r\nHost: a\r\nContent-Length: +5\r\n\r\nabcde",
        "POST /a HTTP/1.1\r\nHost: a\r\nContent-Length: 0x5\r\n\r\nabcde",
        "POST /a HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n\r\n",
        "POST /a HTTP/1.0\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
        "GET /a HTTP/1.1\r\nHost : a\r\n\r\n",
        "GET /a HTTP/1.1\r\nHost: a\r\nX-Folded: one\r\n two\r\n\r\n",
        "GET /a HTTP/1.1\nHost: a\n\n",
        "GET /a HTTP/1.1\r\nHost: a\r\n\r\nGET /b HTTP/1.1\r\nHost: a\r\n\r\n",
        "\r\nGET /a HTTP/1.0\r\n\r\n",
    ])
    func everyBadInputCaseAgreesOrIsDeliberatelyStricter(input: String) {
        #expect(Self.disagreement(Array(input.utf8)) == nil, "\(input.debugDescription)")
    }

    /// 100,000 inputs in four seeded batches (Swift Testing runs them in parallel).
    /// Seconds of CPU in a debug build: run on a Dispatch thread, not on Swift's cooperative pool,
    /// whose two threads (on two cores) the integration tests running alongside need for their
    /// continuations (starved, their sockets timed out).
    @Test(arguments: [0x5EED_CAFE, 0x5EED_BEEF, 0x5EED_F00D, 0x5EED_D00D] as [UInt64])
    func generatedAndMutatedRequests(seed: UInt64) async throws {
        let (disagreements, bothAccepted) = try await offThePool { Self.compareGenerated(seed: seed) }
        #expect(disagreements.isEmpty, "\(disagreements.joined(separator: "\n"))")
        #expect(bothAccepted > 5_000, "the generator makes enough valid requests to compare parses: \(bothAccepted)")
    }

    /// 25,000 generated requests of `seed`, every other one mutated: the first five
    /// disagreements, and how many both parsers accepted.
    static func compareGenerated(seed: UInt64) -> ([String], Int) {
        var random = SplitMix64(seed: seed)
        var disagreements: [String] = []
        var bothAccepted = 0
        for index in 0..<25_000 {
            var input = RequestGenerator.request(&random)
            if index % 2 == 1 { RequestGenerator.mutate(&input, &random) }
            let ours = Self.ours(input)
            if let problem = Self.disagreement(ours: ours, input) {
                disagreements.append("seed \(seed) #\(index) \(String(decoding: input.prefix(200), as: UTF8.self).debugDescription): \(problem)")
                if disagreements.count >= 5 { break }
            } else if !ours.failed {
                bothAccepted += 1
            }
        }
        return (disagreements, bothAccepted)
    }
}

/// A small seeded generator (SplitMix64): the same seed gives the same inputs on every run.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Requests as clients send them, and the damage a hostile client or a broken proxy does.
enum RequestGenerator {
    static let methods = ["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"]
    static let names = ["Host", "X-User-Id", "Cookie", "Accept", "Content-Type", "Idempotency-Key", "X-Checkout-Cohort", "User-Agent"]
    static let valueBytes = Array("abcXYZ019-_.:;/=,?&% ".utf8)

    static func request(_ random: inout SplitMix64) -> [UInt8] {
        var text = ""
        for _ in 0..<Int.random(in: 1...2, using: &random) {
            let method = methods.randomElement(using: &random)!
            var target = "/checkout"
            for _ in 0..<Int.random(in: 0...3, using: &random) { target += "/" + String(Int.random(in: 0...999, using: &random)) }
            if Bool.random(using: &random) { target += "?q=\(Int.random(in: 0...99, using: &random))&x=y" }
            let minor = Int.random(in: 0...9, using: &random) == 0 ? 0 : 1
            text += "\(method) \(target) HTTP/1.\(minor)\r\nHost: shop.test\r\n"
            for _ in 0..<Int.random(in: 0...5, using: &random) {
                let value = String(
                    decoding: (0..<Int.random(in: 0...20, using: &random)).map { _ in valueBytes.randomElement(using: &random)! }, as: UTF8.self)
                text += "\(names.randomElement(using: &random)!):\(Bool.random(using: &random) ? " " : "")\(value.trimmingSpaces)\r\n"
            }
            let body = String(repeating: "b", count: Int.random(in: 0...3, using: &random) == 0 ? 0 : Int.random(in: 1...40, using: &random))
            if method == "HEAD" || method == "GET" && Bool.random(using: &random) || body.isEmpty {
                text += "\r\n"
            } else if minor == 1 && Bool.random(using: &random) {
                text += "Transfer-Encoding: chunked\r\n\r\n"
                var rest = Substring(body)
                while !rest.isEmpty {
                    let size = min(rest.count, Int.random(in: 1...16, using: &random))
                    text += String(size, radix: 16) + "\r\n" + rest.prefix(size) + "\r\n"
                    rest = rest.dropFirst(size)
                }
                text += "0\r\n\r\n"
            } else {
                text += "Content-Length: \(body.count)\r\n\r\n" + body
            }
        }
        return Array(text.utf8)
    }

    /// One to three edits: a byte flipped, removed, doubled, or one of the bytes that matter to
    /// framing (CR, LF, space, tab, colon, NUL, DEL, a high byte) inserted.
    static func mutate(_ input: inout [UInt8], _ random: inout SplitMix64) {
        let special: [UInt8] = [0x0D, 0x0A, 0x20, 0x09, 0x3A, 0x00, 0x7F, 0xC3, 0x2C, 0x30, 0x2D]
        for _ in 0..<Int.random(in: 1...3, using: &random) where !input.isEmpty {
            let position = Int.random(in: 0..<input.count, using: &random)
            switch Int.random(in: 0...3, using: &random) {
            case 0: input[position] = UInt8.random(in: 0...255, using: &random)
            case 1: input.remove(at: position)
            case 2: input.insert(input[position], at: position)
            default: input.insert(special.randomElement(using: &random)!, at: position)
            }
        }
    }
}
