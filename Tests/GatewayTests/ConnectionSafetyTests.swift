import Foundation
import GatewayCore
import NIOCore
import NIOHTTP1
import NIOPosix
import Testing

/// Clients that stall, tunnel, pipeline without reading or send ambiguous decision input must
/// not pin connections, grow memory or steer the decision (docs/architecture.md, "Client
/// connections").
@Suite("Client connections that misbehave", .timeLimit(.minutes(1)))
struct ConnectionSafetyTests {
    /// 105 stalled bodies used to lock out every client under `max_connections: 100`.
    @Test func aStalledBodyGets408AndNothingIsForwarded() async throws {
        try await Harness.with(configure: { $0.limits.bodyReadTimeout = .milliseconds(300) }) { h async throws in
            let answer = try await RawClient.exchange(port: h.port, "POST /checkout HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\nabc")
            #expect(RawClient.statuses(answer) == [408])
            #expect(answer.lowercased().contains("connection: close"))
            #expect(h.old.requests.isEmpty && h.new.requests.isEmpty)
        }
    }

    @Test func connectIsRefusedAndTheConnectionClosed() async throws {
        try await Harness.with { h in
            let tunnel =
                "CONNECT bank.example:443 HTTP/1.1\r\nHost: bank.example:443\r\n\r\n" + String(repeating: "\u{16}\u{03}\u{01}", count: 20_000)
            let answer = try await RawClient.exchange(port: h.port, tunnel)
            #expect(RawClient.statuses(answer) == [501])
            #expect(h.old.requests.isEmpty && h.new.requests.isEmpty)
        }
    }

    /// After an upgrade request every later byte used to be buffered (2 GiB in 8 s). The upgrade
    /// is refused by ignoring it (RFC 9110 §7.8): the request is answered and the connection closed.
    @Test func anUpgradeRequestIsAnsweredWithoutUpgradingAndTheConnectionClosed() async throws {
        try await Harness.with { h in
            let upgrade =
                "GET /socket HTTP/1.1\r\nHost: a\r\nConnection: upgrade\r\nUpgrade: websocket\r\n\r\n"
                + String(repeating: "\u{81}\u{85}frame", count: 20_000)
            let answer = try await RawClient.exchange(port: h.port, upgrade)
            #expect(RawClient.statuses(answer) == [200])
            #expect(answer.lowercased().contains("connection: close"))
            #expect(h.old.requests.count == 1)
            #expect(h.old.requests.first?.headers.contains(name: "Upgrade") == false)
        }
    }

    /// 400 MiB of answers were buffered for one client that pipelined a 25 KB request burst and
    /// never read. Reading now waits while the client is not taking its answers, so the upstream
    /// sees only the few requests whose answers fit in the socket buffers.
    @Test func aClientThatNeverReadsStopsBeingServed() async throws {
        try await Harness.with { h async throws in
            h.old.set(.respond(status: 200, body: String(repeating: "x", count: 256 << 10), headers: []))
            let requests = String(repeating: "GET /big HTTP/1.1\r\nHost: a\r\n\r\n", count: 800)
            let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .channelOption(.autoRead, value: false)
                .connect(host: "127.0.0.1", port: h.port).get()
            try await channel.writeAndFlush(ByteBuffer(string: requests))
            // Without back-pressure all 800 reach the upstream within a second or two.
            let deadline = ContinuousClock.now + .seconds(3)
            while h.old.requests.count < 200 && ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(50))
            }
            let served = h.old.requests.count
            #expect(served < 200, "\(served) requests were forwarded for a client that reads nothing")
            try await channel.close()
        }
    }

    @Test func anHTTP10ClientGetsNo100Continue() async throws {
        try await Harness.with { h in
            let answer = try await RawClient.exchange(
                port: h.port, "POST /checkout HTTP/1.0\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\nhello"
            )
            #expect(RawClient.statuses(answer) == [200])
            #expect(h.old.requests.first?.body == Array("hello".utf8))
        }
    }

    /// The decision read the first X-User-Id while the upstream saw both.
    @Test func aDecisionHeaderSentTwiceIsRefusedOnRoutedRequests() async throws {
        try await Harness.with(configure: { $0.flag.percent = 50 }) { h async throws in
            let routed = try await RawClient.exchange(port: h.port, "GET /checkout HTTP/1.1\r\nHost: a\r\nX-User-Id: alice\r\nX-User-Id: bob\r\n\r\n")
            #expect(RawClient.statuses(routed) == [400])
            #expect(routed.contains("X-User-Id must be sent at most once"))
            #expect(h.old.requests.isEmpty && h.new.requests.isEmpty, "nothing forwarded for the refused request")
            // One field whose value holds a comma is one value, not two.
            let single = try await RawClient.exchange(
                port: h.port, "GET /checkout HTTP/1.1\r\nHost: a\r\nX-User-Id: alice, bob\r\nConnection: close\r\n\r\n")
            #expect(RawClient.statuses(single) == [200])
            // Outside the routes the flag decides nothing, so the request is forwarded as sent.
            let other = try await RawClient.exchange(
                port: h.port, "GET /home HTTP/1.1\r\nHost: a\r\nX-User-Id: a\r\nX-User-Id: b\r\nConnection: close\r\n\r\n")
            #expect(RawClient.statuses(other) == [200])
        }
    }

    /// A partial pipelined head used to wait for `idle_timeout` (60 s) instead of
    /// `header_read_timeout`: the parser now knows a next head has begun.
    @Test func aPartialPipelinedHeadGetsTheHeadReadDeadline() async throws {
        try await Harness.with(configure: {
            $0.limits.headerReadTimeout = TestTiming.scaled(.seconds(2)); $0.limits.idleTimeout = .seconds(50)
        }) { h async throws in
            let answer = try await RawClient.exchange(port: h.port, "GET /a HTTP/1.1\r\nHost: a\r\n\r\nGET /b HT")
            #expect(RawClient.statuses(answer) == [200, 408])
            #expect(h.old.requests.map(\.uri) == ["/a"])
        }
    }

    /// A 33 KiB URI got 431 (it overflowed the old parser's field limit) instead of 414.
    @Test func aHugeURIIs414WhateverItsSize() async throws {
        try await Harness.with { h in
            for size in [9 << 10, 33 << 10, 200 << 10] {
                let answer = try await RawClient.exchange(
                    port: h.port, "GET /checkout?\(String(repeating: "q", count: size)) HTTP/1.1\r\nHost: a\r\n\r\n")
                #expect(RawClient.statuses(answer) == [414], "\(size) bytes")
            }
            #expect(h.old.requests.isEmpty)
        }
    }
}
