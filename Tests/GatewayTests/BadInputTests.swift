import Foundation
import GatewayCore
import NIOCore
import NIOHTTP1
import NIOPosix
import Testing

@Suite("Bad input (README: Bad input) over raw sockets", .timeLimit(.minutes(1)))
struct BadInputTests {
    /// Each malformed request gets its status, the connection is closed, and nothing reaches
    /// an upstream.
    @Test(arguments: [
        ("GARBAGE\r\n\r\n", 400),
        ("GET /checkout HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400),
        ("POST /checkout HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd", 400),
        ("POST /checkout HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n\r\n", 400),
        ("POST /checkout HTTP/1.1\r\nHost: a\r\nContent-Length: +5\r\n\r\nabcde", 400),
        ("POST /checkout HTTP/1.1\r\nHost: a\r\nContent-Length: 0x5\r\n\r\nabcde", 400),
        ("POST /checkout HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n\r\n", 501),
        ("POST /checkout HTTP/1.0\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400),
        ("GET /checkout HTTP/1.1\r\nX-User-Id: u\r\n\r\n", 400),
        ("GET /checkout HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400),
        ("GET /checkout HTTP/1.1\r\nHost : a\r\n\r\n", 400),
        ("GET /checkout HTTP/1.1\r\nHost: a\r\nX-Folded: one\r\n two\r\n\r\n", 400),
        ("GET checkout HTTP/1.1\r\nHost: a\r\n\r\n", 400),
        ("POST /checkout HTTP/1.1\r\nHost: a\r\nExpect: 200-ok\r\nContent-Length: 1\r\n\r\nx", 417),
    ])
    func malformedRequestsAreRefusedAndNeverForwarded(request: String, status: Int) async throws {
        try await Harness.with { h in
            let answer = try await RawClient.exchange(port: h.port, request)
            #expect(RawClient.statuses(answer) == [status], "\(request.debugDescription) got \(answer.debugDescription)")
            #expect(answer.lowercased().contains("connection: close"))
            #expect(h.old.requests.isEmpty && h.new.requests.isEmpty)
            let metrics = MetricsText(try await TestClient.send(port: h.adminPort, path: "/metrics").text)
            #expect(metrics.value("gateway_rejected_requests_total", ["code=\(status)"]) == 1, "counted")
        }
    }

    @Test func oversizedURIAndHeaders() async throws {
        try await Harness.with(configure: {
            $0.limits.maxURIBytes = 1024; $0.limits.maxHeaderBytes = 2048
        }) { h async throws in
            let longURI = "/checkout?" + String(repeating: "a", count: 1100)
            let uri = try await RawClient.exchange(port: h.port, "GET \(longURI) HTTP/1.1\r\nHost: a\r\n\r\n")
            #expect(RawClient.statuses(uri) == [414])
            let bigHeader = "X-Big: " + String(repeating: "b", count: 2100)
            let headers = try await RawClient.exchange(port: h.port, "GET /checkout HTTP/1.1\r\nHost: a\r\n\(bigHeader)\r\n\r\n")
            #expect(RawClient.statuses(headers) == [431])
            let hugeHeader = "X-Huge: " + String(repeating: "h", count: 20_000)
            let huge = try await RawClient.exchange(port: h.port, "GET /checkout HTTP/1.1\r\nHost: a\r\n\(hugeHeader)\r\n\r\n")
            #expect(RawClient.statuses(huge) == [431])
            #expect(h.old.requests.isEmpty)
        }
    }

    @Test func bodiesOverTheLimitAre413AndNothingIsSent() async throws {
        try await Harness.with(configure: {
            $0.limits.maxRequestBody = 1000; $0.flag.percent = 100
        }) { h async throws in
            let declared = try await RawClient.exchange(
                port: h.port, "POST /checkout HTTP/1.1\r\nHost: a\r\nContent-Length: 1001\r\n\r\n" + String(repeating: "x", count: 1001))
            #expect(RawClient.statuses(declared) == [413])
            let chunk = String(repeating: "y", count: 600)
            let chunked = try await RawClient.exchange(
                port: h.port,
                "POST /checkout HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n258\r\n\(chunk)\r\n258\r\n\(chunk)\r\n0\r\n\r\n")
            #expect(RawClient.statuses(chunked) == [413])
            #expect(h.old.requests.isEmpty && h.new.requests.isEmpty)
        }
    }

    @Test func expectContinueOverTheLimitGets413WithoutA100() async throws {
        try await Harness.with(configure: { $0.limits.maxRequestBody = 1000 }) { h async throws in
            let answer = try await RawClient.exchange(
                port: h.port, "POST /checkout HTTP/1.1\r\nHost: a\r\nContent-Length: 5000\r\nExpect: 100-continue\r\n\r\n")
            #expect(RawClient.statuses(answer) == [413])
            #expect(h.old.requests.isEmpty)
        }
    }

    @Test func expectContinueWithinTheLimitGets100ThenTheAnswer() async throws {
        try await Harness.with { h in
            let answer = try await RawClient.exchange(
                port: h.port, "POST /checkout HTTP/1.1\r\nHost: a\r\nConnection: close\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\nhello"
            )
            #expect(RawClient.statuses(answer) == [100, 200])
            #expect(h.old.requests.first?.body == Array("hello".utf8))
            #expect(h.old.requests.first?.headers.contains(name: "Expect") == false)
        }
    }

    @Test func chunkedRequestBodyIsForwardedWithALength() async throws {
        try await Harness.with { h in
            h.old.set(.echo)
            let answer = try await RawClient.exchange(
                port: h.port,
                "POST /checkout HTTP/1.1\r\nHost: a\r\nConnection: close\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"
            )
            #expect(RawClient.statuses(answer) == [200])
            #expect(answer.hasSuffix("hello world"))
            let seen = try #require(h.old.requests.first)
            #expect(seen.headers.first(name: "Content-Length") == "11")
            #expect(!seen.headers.contains(name: "Transfer-Encoding"))
        }
    }

    @Test func slowHeadGets408AndIsClosed() async throws {
        try await Harness.with(configure: { $0.limits.headerReadTimeout = .milliseconds(300) }) { h async throws in
            let answer = try await RawClient.exchange(port: h.port, "GET /checkout HTTP/1.1\r\nHost: a\r\n")
            #expect(RawClient.statuses(answer) == [408])
            #expect(h.old.requests.isEmpty)
        }
    }

    @Test func idleKeepAliveConnectionIsClosed() async throws {
        try await Harness.with(configure: { $0.limits.idleTimeout = .milliseconds(300) }) { h async throws in
            let answer = try await RawClient.exchange(port: h.port, "GET / HTTP/1.1\r\nHost: a\r\n\r\n")
            #expect(RawClient.statuses(answer) == [200], "the connection was closed by the idle timer after one answer")
        }
    }

    @Test func http10ClientGetsACorrectAnswer() async throws {
        try await Harness.with { h in
            let answer = try await RawClient.exchange(port: h.port, "GET /checkout HTTP/1.0\r\n\r\n")
            #expect(answer.hasPrefix("HTTP/1.0 200 OK\r\n"))
            #expect(answer.contains("Content-Length: 3\r\n"))
            #expect(answer.hasSuffix("\r\n\r\nold"))
        }
    }

    @Test func pipelinedRequestsAreAnsweredInOrder() async throws {
        try await Harness.with(configure: { $0.flag.percent = 100 }) { h async throws in
            let answer = try await RawClient.exchange(
                port: h.port,
                "GET /checkout HTTP/1.1\r\nHost: a\r\nX-User-Id: u\r\n\r\nGET /other HTTP/1.1\r\nHost: a\r\n\r\nGET /checkout HTTP/1.1\r\nHost: a\r\nX-User-Id: u\r\nConnection: close\r\n\r\n"
            )
            #expect(RawClient.statuses(answer) == [200, 200, 200])
            let variants = answer.components(separatedBy: "\r\n").filter { $0.hasPrefix("X-Checkout-Variant") }
            #expect(variants == ["X-Checkout-Variant: new", "X-Checkout-Variant: old", "X-Checkout-Variant: new"])
        }
    }

    @Test func pipelinedBodiesAndALateMalformedRequestAreHandledInOrder() async throws {
        try await Harness.with { h async throws in
            h.old.set(.echo)
            let answer = try await RawClient.exchange(
                port: h.port,
                "POST /a HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nfirstPOST /b HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n6\r\nsecond\r\n0\r\n\r\nGET /c HTTP/1.1\r\nHost: a\r\n\r\nBROKEN\r\n\r\n"
            )
            #expect(RawClient.statuses(answer) == [200, 200, 200, 400])
            #expect(h.old.requests.map(\.uri) == ["/a", "/b", "/c"])
            #expect(h.old.requests.map { String(decoding: $0.body, as: UTF8.self) } == ["first", "second", ""])
            let first = try #require(answer.range(of: "first"))
            let second = try #require(answer.range(of: "second"))
            #expect(first.lowerBound < second.lowerBound, "answers in request order")
        }
    }

    @Test func connectionsOverTheCapAreRefusedWithoutHurtingOpenOnes() async throws {
        try await Harness.with(configure: { $0.limits.maxConnections = 2 }) { h async throws in
            try await TestClient.withConnection(port: h.port) { first in
                try await TestClient.withConnection(port: h.port) { second in
                    // An answer on each proves the gateway has accepted both before the third.
                    #expect(try await first.send(path: "/").status == 200)
                    #expect(try await second.send(path: "/").status == 200)
                    let refused = try await RawClient.exchange(port: h.port, "GET / HTTP/1.1\r\nHost: a\r\n\r\n")
                    #expect(refused.isEmpty)
                    let metrics = MetricsText(try await TestClient.send(port: h.adminPort, path: "/metrics").text)
                    #expect(metrics.value("gateway_refused_connections_total") == 1)
                    #expect(try await first.send(path: "/").status == 200)
                    #expect(try await second.send(path: "/").status == 200)
                }
            }
            #expect(h.old.requests.count == 4)
        }
    }
}
