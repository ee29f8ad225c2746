import GatewayCore
import NIOHTTP1
import Testing

@Suite("Forwarding headers and bodies", .timeLimit(.minutes(1)))
struct ForwardingIntegrationTests {
    @Test func requestHeadersFollowDesignSection5() async throws {
        try await Harness.with(configure: { $0.flag.percent = 100 }) { h async throws in
            h.new.set(
                .respond(
                    status: 200, body: "ok", headers: [("Connection", "X-Upstream-Secret"), ("X-Upstream-Secret", "s"), ("Keep-Alive", "timeout=5")]))
            let response = try await h.get(
                "/checkout",
                headers: [
                    ("X-User-Id", "u1"),
                    ("Connection", "keep-alive, X-Hop"),
                    ("X-Hop", "should-vanish"),
                    ("Keep-Alive", "timeout=5"),
                    ("Proxy-Connection", "keep-alive"),
                    ("TE", "trailers"),
                    ("X-Forwarded-For", "203.0.113.7"),
                    ("X-Request-Id", "client-id-1"),
                    ("X-Checkout-Variant", "spoofed"),
                    ("Host", "shop.example"),
                ])
            #expect(response.status == 200)
            #expect(response.header("X-Checkout-Variant") == "new")
            #expect(response.header("X-Request-Id") == "client-id-1")
            #expect(response.header("X-Upstream-Secret") == nil)
            #expect(response.header("Keep-Alive") == nil)

            let seen = try #require(h.new.requests.first).headers
            for name in ["X-Hop", "Keep-Alive", "Proxy-Connection", "TE", "Transfer-Encoding", "Upgrade"] {
                #expect(!seen.contains(name: name), "\(name) was forwarded")
            }
            #expect(seen["Connection"].allSatisfy { !$0.contains("X-Hop") })
            #expect(seen.first(name: "X-Forwarded-For") == "203.0.113.7, 127.0.0.1")
            #expect(seen.first(name: "X-Forwarded-Proto") == "http")
            #expect(seen.first(name: "X-Forwarded-Host") == "shop.example")
            #expect(seen.first(name: "Via") == "1.1 checkout-gateway")
            #expect(seen["X-Request-Id"] == ["client-id-1"])
            #expect(seen["X-Checkout-Variant"] == ["new"])
            #expect(!seen.contains(name: "X-Checkout-Fallback"))
        }
    }

    @Test func requestIDIsMintedWhenMissingOrInsane() async throws {
        try await Harness.with { h in
            let minted = try await h.get("/checkout", headers: [("X-User-Id", "u")])
            let id = try #require(minted.header("X-Request-Id"))
            #expect(id.count == 32)
            let insane = try await h.get("/checkout", headers: [("X-User-Id", "u"), ("X-Request-Id", "bad id with spaces")])
            #expect(insane.header("X-Request-Id") != "bad id with spaces")
            #expect(h.old.requests.map { $0.headers.first(name: "X-Request-Id") } == [id, insane.header("X-Request-Id")])
        }
    }

    @Test func hopByHopHeaderCannotSteerTheDecision() async throws {
        try await Harness.with(configure: {
            $0.flag.percent = 0
            $0.flag.targeting = [TargetingRule(variant: .new, users: ["qa-alice"])]
        }) { h async throws in
            let response = try await h.get("/checkout", headers: [("Connection", "X-User-Id"), ("X-User-Id", "qa-alice")])
            #expect(response.header("X-Checkout-Variant") == "old")
            #expect(response.header("Set-Cookie") != nil, "the identity header was dropped, so an anonymous id was minted")
        }
    }

    @Test func binaryBodyArrivesByteExact() async throws {
        try await Harness.with(configure: { $0.flag.percent = 100 }) { h async throws in
            h.new.set(.echo)
            var generator = SystemRandomNumberGenerator()
            let body = (0..<(200 * 1024)).map { _ in UInt8.random(in: 0...255, using: &generator) }
            let response = try await TestClient.send(
                port: h.port, method: .POST, path: "/api/checkout/upload",
                headers: [("X-User-Id", "u"), ("Content-Type", "application/octet-stream")], body: body)
            #expect(response.status == 200)
            #expect(response.body == body)
            let seen = try #require(h.new.requests.first)
            #expect(seen.body == body)
            #expect(seen.headers.first(name: "Content-Type") == "application/octet-stream")
            #expect(seen.headers.first(name: "Content-Length") == String(body.count))
        }
    }

    /// libcurl handles are reused across requests; each request must still go out with exactly
    /// its own method, body and framing.
    @Test func methodsStayFaithfulAcrossReusedHandles() async throws {
        try await Harness.with { h async throws in
            let sequence: [(HTTPMethod, [UInt8]?)] = [
                (.POST, Array("order".utf8)), (.GET, nil), (.HEAD, nil), (.PUT, Array("put".utf8)), (.DELETE, nil), (.GET, nil),
                (.PATCH, Array("patch".utf8)), (.OPTIONS, nil), (.POST, Array("again".utf8)), (.GET, nil),
            ]
            try await TestClient.withConnection(port: h.port) { connection in
                for (method, body) in sequence {
                    let response = try await connection.send(method: method, path: "/other", body: body)
                    #expect(response.status == 200, "\(method)")
                }
            }
            let seen = h.old.requests
            #expect(seen.map(\.method) == sequence.map(\.0.rawValue))
            for (recorded, (method, body)) in zip(seen, sequence) {
                #expect(recorded.body == (body ?? []), "\(method)")
                #expect(!recorded.headers.contains(name: "Transfer-Encoding"), "\(method)")
                if body == nil {
                    #expect(!recorded.headers.contains(name: "Content-Type"), "\(method)")
                    #expect(
                        recorded.headers.first(name: "Content-Length") == nil || recorded.headers.first(name: "Content-Length") == "0", "\(method)")
                }
            }
        }
    }

    /// The method is never changed: a GET with a body stays a GET, also when new fails and the
    /// request is replayed to old. A HEAD cannot carry a body and is refused.
    @Test func getWithBodyStaysGetAndHeadWithBodyIsRefused() async throws {
        try await Harness.with(configure: { $0.flag.percent = 100 }) { h async throws in
            h.new.set(.respond(status: 503, body: nil, headers: []))
            let answer = try await TestClient.send(
                port: h.port, method: .GET, path: "/checkout", headers: [("X-User-Id", "u")], body: Array("query".utf8))
            #expect(answer.status == 200)
            #expect(answer.header("X-Checkout-Variant") == "old")
            #expect(h.new.requests.map(\.method) == ["GET"])
            #expect(h.old.requests.map(\.method) == ["GET"])
            #expect(h.old.requests.first?.body == Array("query".utf8))

            let head = try await RawClient.exchange(port: h.port, "HEAD /checkout HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\n\r\nbody")
            #expect(RawClient.statuses(head) == [400])
            #expect(h.old.requests.count == 1 && h.new.requests.count == 1)
        }
    }

    @Test func upstreamPathPrefixIsPrepended() async throws {
        try await Harness.with(configure: { $0.upstreams.old.url = UpstreamURL("\($0.upstreams.old.url.prefix)/shop/")! }) { h async throws in
            _ = try await h.get("/other/page?q=1")
            #expect(h.old.requests.first?.uri == "/shop/other/page?q=1")
        }
    }

    @Test func keepAliveReusesUpstreamConnections() async throws {
        try await Harness.with(configure: { $0.flag.percent = 50 }) { h async throws in
            try await TestClient.withConnection(port: h.port) { connection in
                for index in 0..<1000 {
                    let response = try await connection.send(path: "/checkout", headers: [("X-User-Id", "user-\(index)")])
                    #expect(response.status == 200)
                }
            }
            #expect(h.old.requests.count + h.new.requests.count == 1000)
            #expect(h.old.acceptedConnections <= 3, "old accepted \(h.old.acceptedConnections) connections")
            #expect(h.new.acceptedConnections <= 3, "new accepted \(h.new.acceptedConnections) connections")
        }
    }

    /// Upstream connections belong to workers: `max_connections` is split across them, at least
    /// one each, so the process never holds more than `max_connections` to an upstream — and
    /// every worker's counters add up in `/metrics`.
    @Test func maxConnectionsIsSplitAcrossWorkersAndCountersAddUp() async throws {
        try await Harness.with(configure: { $0.upstreams.old.maxConnections = 3 }, workers: 3) { h async throws in
            h.old.set(.delayed(milliseconds: 20))
            let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
                for index in 0..<30 {
                    group.addTask { try await TestClient.send(port: h.port, path: "/cart/\(index)").status }
                }
                return try await group.reduce(into: [Int]()) { $0.append($1) }
            }
            #expect(statuses.count == 30 && statuses.allSatisfy { $0 == 200 })
            #expect(h.old.acceptedConnections <= 3, "old accepted \(h.old.acceptedConnections) connections")
            let metrics = MetricsText(try await TestClient.send(port: h.adminPort, path: "/metrics").text)
            #expect(metrics.value("gateway_requests_total", ["variant=old", "outcome=ok", "code=200"]) == 30)
            #expect(metrics.value("gateway_upstream_requests_total", ["upstream=old", "result=2xx"]) == 30)
        }
    }
}
