import GatewayCore
import Testing

/// The request parser against the README's "Bad input" and RFC 9112, each input fed whole and byte by byte:
/// the verdict must not depend on how the socket split it.
@Suite("HTTP/1.1 request parser")
struct RequestParserTests {
    static let limits = RequestParserLimits(maxURIBytes: 64, maxHeaderBytes: 256)

    /// The events of `input`; fails the test if byte-by-byte feeding gives other events.
    func events(_ input: String, limits: RequestParserLimits = limits) -> [RequestParser.Event] {
        let bytes = Array(input.utf8)
        func run(_ pieces: [[UInt8]]) -> [RequestParser.Event] {
            var parser = RequestParser(limits: limits)
            var events: [RequestParser.Event] = []
            for piece in pieces {
                parser.append(piece)
                while let event = parser.next() { events.append(event) }
            }
            return Self.mergingBodies(events)
        }
        let whole = run([bytes])
        let split = run(bytes.map { [$0] })
        #expect(whole == split, "split differently: \(input.debugDescription)")
        return whole
    }

    /// Adjacent body events joined, so events compare independently of read sizes.
    static func mergingBodies(_ events: [RequestParser.Event]) -> [RequestParser.Event] {
        var merged: [RequestParser.Event] = []
        for event in events {
            if case .body(let more) = event, case .body(let before)? = merged.last {
                merged[merged.count - 1] = .body(before + more)
            } else {
                merged.append(event)
            }
        }
        return merged
    }

    func failure(_ input: String, limits: RequestParserLimits = limits) -> HTTPRequestError? {
        for event in events(input, limits: limits) {
            if case .failure(let error) = event { return error }
        }
        return nil
    }

    func head(_ input: String) -> ParsedRequestHead? {
        for event in events(input) {
            if case .head(let head) = event { return head }
        }
        return nil
    }

    @Test func aSimpleGet() {
        let result = events("GET /checkout?x=1 HTTP/1.1\r\nHost: shop\r\nX-User-Id:  u1 \r\n\r\n")
        #expect(
            result == [
                .head(
                    ParsedRequestHead(
                        method: "GET", target: "/checkout?x=1", minorVersion: 1, headers: [("Host", "shop"), ("X-User-Id", "u1")], framing: .none
                    )),
                .end,
            ])
    }

    @Test func pipelinedRequestsWithBodies() {
        let result = events(
            "POST /a HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nfirst"
                + "POST /b HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3;ext=1\r\nsec\r\n3\r\nond\r\n0\r\nX-Trailer: t\r\n\r\n"
                + "\r\nGET /c HTTP/1.0\r\n\r\n"
        )
        #expect(result.count == 8)
        #expect(result[1] == .body(Array("first".utf8)))
        #expect(result[2] == .end)
        if case .head(let second) = result[3] { #expect(second.framing == .chunked) } else { Issue.record("no second head") }
        #expect(result[4] == .body(Array("second".utf8)))
        if case .head(let third) = result[6] {
            #expect(third.minorVersion == 0 && third.target == "/c")
        } else {
            Issue.record("no third head")
        }
        #expect(result.last == .end)
    }

    @Test(arguments: [
        ("GARBAGE\r\n\r\n", 400),
        ("GET /a HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n", 400),
        ("POST /a HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\n", 400),
        ("POST /a HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n\r\n", 400),
        ("POST /a HTTP/1.1\r\nHost: a\r\nContent-Length: +5\r\n\r\n", 400),
        ("POST /a HTTP/1.1\r\nHost: a\r\nContent-Length: 0x5\r\n\r\n", 400),
        ("POST /a HTTP/1.1\r\nHost: a\r\nContent-Length: 5, 5\r\n\r\n", 400),
        ("POST /a HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n\r\n", 501),
        ("POST /a HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", 501),
        ("POST /a HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n", 501),
        ("POST /a HTTP/1.0\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n", 400),
        ("GET /a HTTP/1.1\r\nHost : a\r\n\r\n", 400),
        ("GET /a HTTP/1.1\r\nHost: a\r\nX-Folded: one\r\n two\r\n\r\n", 400),
        ("GET /a HTTP/1.1\nHost: a\n\n", 400),
        ("GET /a HTTP/1.1\r\nHost: a\rX: b\r\n\r\n", 400),
        ("GET /a HTTP/1.1\r\nHost: a\r\nX: a\u{01}b\r\n\r\n", 400),
        ("GET /a HTTP/1.1\r\nHost: a\r\nX: a\u{7F}b\r\n\r\n", 400),
        ("GET /a\u{00}b HTTP/1.1\r\nHost: a\r\n\r\n", 400),
        ("GET /caf\u{E9} HTTP/1.1\r\nHost: a\r\n\r\n", 400),
        ("GET  /a HTTP/1.1\r\nHost: a\r\n\r\n", 400),
        ("GET /a  HTTP/1.1\r\nHost: a\r\n\r\n", 400),
        (" GET /a HTTP/1.1\r\nHost: a\r\n\r\n", 400),
        ("GET /a\r\n\r\n", 400),
        ("GET /a HTTP/1.1 \r\nHost: a\r\n\r\n", 400),
        ("GET /a http/1.1\r\nHost: a\r\n\r\n", 400),
        ("GET /a HTTP/2.0\r\nHost: a\r\n\r\n", 505),
        ("GET /a HTTP/1.2\r\nHost: a\r\n\r\n", 505),
        ("GET /a HTTP/1.1\r\n: empty-name\r\n\r\n", 400),
        ("POST /a HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", 400),
        ("POST /a HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhelloXX0\r\n\r\n", 400),
        ("POST /a HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5 junk\r\nhello\r\n0\r\n\r\n", 400),
        ("POST /a HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n1000000000000000\r\n", 400),
        ("POST /a HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nBad Trailer: x\r\n\r\n", 400),
        ("PROPFIND /a HTTP/1.1\r\nHost: a\r\n\r\n", 501),
        ("GET a/b HTTP/1.1\r\nHost: a\r\n\r\n", 400),
        ("GET * HTTP/1.1\r\nHost: a\r\n\r\n", 400),
        ("POST /a HTTP/1.1\r\nHost: a\r\nContent-Length: 5\t\r\n\r\nhello", 400),
        ("POST /a HTTP/1.1\r\nHost: a\r\nTransfer-Encoding:\tchunked\r\n\r\n0\r\n\r\n", 400),
        ("GET /a HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\nGET /b HTTP/1.1\r\n\r\n", 400),
        ("GET /a HTTP/1.0\r\n\r\nGET /b HTTP/1.0\r\n\r\n", 400),
    ])
    func malformedInputGetsItsStatus(input: String, status: Int) {
        #expect(failure(input)?.status == status, "\(input.debugDescription)")
    }

    /// 414 and 431 are decided as soon as a limit is crossed, before the head is complete, so
    /// a huge head is never buffered whole; a URI over the limit is 414 whatever its size.
    @Test func limitsAreEnforcedBeforeTheHeadIsComplete() {
        let uri = "GET /" + String(repeating: "u", count: 64)
        #expect(failure(uri)?.status == 414)
        #expect(failure("GET /" + String(repeating: "u", count: 40_000) + " HTTP/1.1\r\n\r\n")?.status == 414)
        let header = "GET /a HTTP/1.1\r\nX-Big: " + String(repeating: "h", count: 300)
        #expect(failure(header)?.status == 431)
        #expect(failure("GET /a HTTP/1.1\r\n" + String(repeating: "X-A: 1\r\n", count: 40))?.status == 431)
        let trailers = "POST /a HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n" + String(repeating: "X-T: 1\r\n", count: 40)
        #expect(failure(trailers)?.status == 431)
    }

    /// Found by `scripts/fuzz` (kept in fuzz/regressions): a bare CR inside a chunk extension or a
    /// trailer was refused with another message depending on where the input was split.
    @Test func fuzzerFindingsGiveTheSameVerdictHoweverSplit() {
        let chunked = "POST /a HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
        #expect(failure(chunked + "4;x=1hello:/2xst:=1\r /\r\nH\n\r\n")?.message == "a bare CR in the chunked body framing")
        #expect(failure(chunked + "0;x=1\r\nhelRangeRep: 1\r\u{0B}\r\n")?.message == "a bare CR in the chunked body framing")
    }

    @Test func otherTargetFormsAndKeepAliveAreRead() {
        #expect(head("OPTIONS * HTTP/1.1\r\n\r\n")?.target == "*")
        #expect(head("GET http://shop.test/a HTTP/1.1\r\n\r\n")?.target == "http://shop.test/a")
        #expect(head("CONNECT shop.test:443 HTTP/1.1\r\n\r\n")?.target == "shop.test:443")
        let kept = events("GET /a HTTP/1.0\r\nConnection: keep-alive\r\n\r\nGET /b HTTP/1.0\r\n\r\n\r\n")
        #expect(kept.filter { $0 == .end }.count == 2, "HTTP/1.0 with keep-alive, then one that closes followed only by empty lines")
    }

    @Test func theLimitsAreInclusive() {
        let uri = "/" + String(repeating: "u", count: 63)
        #expect(head("GET \(uri) HTTP/1.1\r\n\r\n")?.target == uri)
    }

    @Test func nothingIsParsedAfterAFailure() {
        var parser = RequestParser(limits: Self.limits)
        parser.append(Array("BAD\r\n\r\nGET /a HTTP/1.1\r\n\r\n".utf8))
        #expect(parser.next() == .failure(HTTPRequestError(400, "the request method is not a token")))
        #expect(parser.next() == nil)
        parser.append(Array("GET /b HTTP/1.1\r\n\r\n".utf8))
        #expect(parser.next() == nil)
    }

    @Test func partialHeadsAreKnown() {
        var parser = RequestParser(limits: Self.limits)
        #expect(!parser.hasPartialHead && parser.isIdle)
        parser.append(Array("GET /a HTTP/1.1\r\n\r\nGET /b HT".utf8))
        #expect(parser.next() != nil)
        #expect(parser.next() == .end)
        #expect(parser.next() == nil)
        #expect(parser.hasPartialHead, "the second request's head has begun")
        parser.append(Array("TP/1.1\r\n\r\n".utf8))
        #expect(parser.next() != nil)
        #expect(parser.next() == .end)
        #expect(!parser.hasPartialHead && parser.isIdle)
    }

    @Test func aBodyIsPassedOnAsItArrives() {
        var parser = RequestParser(limits: Self.limits)
        parser.append(Array("POST /a HTTP/1.1\r\nContent-Length: 10\r\n\r\nabc".utf8))
        if case .head(let head)? = parser.next() { #expect(head.framing == .contentLength(10)) } else { Issue.record("no head") }
        #expect(parser.next() == .body(Array("abc".utf8)))
        #expect(parser.next() == nil)
        #expect(!parser.hasPartialHead)
        parser.append(Array("defghij".utf8))
        #expect(parser.next() == .body(Array("defghij".utf8)))
        #expect(parser.next() == .end)
    }
}
