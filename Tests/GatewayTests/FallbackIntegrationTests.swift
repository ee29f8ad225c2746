import GatewayCore
import NIOHTTP1
import Testing

@Suite("Fallback to old (README: Forwarding and fallback)", .timeLimit(.minutes(1)))
struct FallbackIntegrationTests {
    private let user = [("X-User-Id", "u1")]

    @Test func newAnswering500FallsBackWithTheSameBodyAndRequestID() async throws {
        try await Harness.with(configure: { $0.flag.percent = 100 }) { h async throws in
            h.new.set(.respond(status: 500, body: "boom", headers: []))
            h.old.set(.echo)
            let body = Array("{\"basket\": 42}".utf8)
            let response = try await TestClient.send(
                port: h.port, method: .PUT, path: "/api/checkout/basket",
                headers: user + [("X-Request-Id", "req-500")], body: body)
            #expect(response.status == 200)
            #expect(response.body == body)
            #expect(response.header("X-Checkout-Variant") == "old")
            let first = try #require(h.new.requests.first)
            let replay = try #require(h.old.requests.first)
            #expect(first.body == body && replay.body == body)
            #expect(first.headers.first(name: "X-Request-Id") == "req-500")
            #expect(replay.headers.first(name: "X-Request-Id") == "req-500")
            #expect(replay.headers.first(name: "X-Checkout-Variant") == "old")
            #expect(replay.headers.first(name: "X-Checkout-Fallback") == "5xx")
        }
    }

    @Test func newHangingPastItsTimeoutFallsBack() async throws {
        try await Harness.with(configure: {
            $0.flag.percent = 100; $0.upstreams.new.timeout = TestTiming.scaled(.milliseconds(400))
        }) { h async throws in
            h.new.set(.hang)
            let clock = ContinuousClock()
            let started = clock.now
            let response = try await h.get("/checkout", headers: user + [("X-Request-Id", "req-hang")])
            #expect(response.status == 200)
            #expect(response.text == "old")
            #expect(clock.now - started >= TestTiming.scaled(.milliseconds(400)))
            #expect(h.new.requests.count == 1)
            #expect(h.old.requests.first?.headers.first(name: "X-Checkout-Fallback") == "timeout")
            #expect(h.old.requests.first?.headers.first(name: "X-Request-Id") == "req-hang")
        }
    }

    @Test func newRefusingConnectionsFallsBack() async throws {
        let refused = try RefusingPort()
        defer { refused.close() }
        try await Harness.with(configure: {
            $0.flag.percent = 100
            $0.upstreams.new.url = refused.url
        }) { h async throws in
            let response = try await h.get("/checkout", headers: user)
            #expect(response.status == 200)
            #expect(response.text == "old")
            #expect(h.old.requests.first?.headers.first(name: "X-Checkout-Fallback") == "connect_error")
        }
    }

    @Test func newSendingGarbageOrResettingFallsBack() async throws {
        try await Harness.with(configure: { $0.flag.percent = 100 }) { h async throws in
            h.new.set(.raw("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n"))
            let ambiguous = try await h.get("/checkout", headers: user)
            #expect(ambiguous.text == "old")
            h.new.set(.raw("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!"))
            let twoLengths = try await h.get("/checkout", headers: user)
            #expect(twoLengths.text == "old")
            h.new.set(.raw("this is not http\r\n\r\n"))
            let garbage = try await h.get("/checkout", headers: user)
            #expect(garbage.text == "old")
            h.new.set(.close)
            let reset = try await h.get("/checkout", headers: user)
            #expect(reset.text == "old")
            #expect(h.old.requests.count == 4)
        }
    }

    @Test func postWithoutIdempotencyKeyIsNotReplayedAfter500() async throws {
        try await Harness.with(configure: { $0.flag.percent = 100 }) { h async throws in
            h.new.set(.respond(status: 500, body: "card declined by a bug", headers: []))
            let response = try await TestClient.send(
                port: h.port, method: .POST, path: "/api/checkout/orders", headers: user, body: Array("order".utf8))
            #expect(response.status == 500)
            #expect(response.text == "card declined by a bug")
            #expect(response.header("X-Checkout-Variant") == "new")
            #expect(h.old.requests.isEmpty)
        }
    }

    @Test func postWithoutIdempotencyKeyGets504AfterATimeout() async throws {
        try await Harness.with(configure: {
            $0.flag.percent = 100; $0.upstreams.new.timeout = TestTiming.scaled(.seconds(1))
        }) { h async throws in
            h.new.set(.hang)
            let response = try await TestClient.send(
                port: h.port, method: .POST, path: "/api/checkout/orders", headers: user, body: Array("order".utf8))
            #expect(response.status == 504)
            #expect(response.text.contains("\"request_id\""))
            #expect(h.old.requests.isEmpty)
        }
    }

    @Test func postWithIdempotencyKeyFallsBackAndOldSeesTheKey() async throws {
        try await Harness.with(configure: { $0.flag.percent = 100 }) { h async throws in
            h.new.set(.respond(status: 503, body: nil, headers: []))
            h.old.set(.respond(status: 201, body: "order old-1", headers: []))
            let response = try await TestClient.send(
                port: h.port, method: .POST, path: "/api/checkout/orders",
                headers: user + [("Idempotency-Key", "k-77")], body: Array("order".utf8))
            #expect(response.status == 201)
            #expect(response.text == "order old-1")
            let replay = try #require(h.old.requests.first)
            #expect(replay.headers.first(name: "Idempotency-Key") == "k-77")
            #expect(replay.body == Array("order".utf8))
        }
    }

    @Test func postFallsBackOnRefusedConnectionWithoutAKey() async throws {
        let refused = try RefusingPort()
        defer { refused.close() }
        try await Harness.with(configure: {
            $0.flag.percent = 100
            $0.upstreams.new.url = refused.url
        }) { h async throws in
            let response = try await TestClient.send(
                port: h.port, method: .POST, path: "/api/checkout/orders", headers: user, body: Array("order".utf8))
            #expect(response.status == 200)
            #expect(response.text == "old")
            #expect(h.old.requests.first?.method == "POST")
        }
    }

    @Test func oldFailuresReachTheClientAsDesignSays() async throws {
        try await Harness.with(configure: {
            $0.flag.enabled = false; $0.upstreams.old.timeout = TestTiming.scaled(.seconds(1))
        }) { h async throws in
            h.old.set(.respond(status: 503, body: "old is down", headers: []))
            let passthrough = try await h.get("/checkout", headers: user)
            #expect(passthrough.status == 503)
            #expect(passthrough.text == "old is down")

            h.old.set(.hang)
            let timeout = try await h.get("/checkout", headers: user + [("X-Request-Id", "req-old-timeout")])
            #expect(timeout.status == 504)
            #expect(timeout.header("Content-Type") == "application/json")
            #expect(timeout.text.contains("\"request_id\": \"req-old-timeout\""))
            #expect(h.new.requests.isEmpty)

            h.old.set(.raw("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n"))
            let ambiguous = try await h.get("/checkout", headers: user)
            #expect(ambiguous.status == 502)
        }
        let refused = try RefusingPort()
        defer { refused.close() }
        try await Harness.with(configure: { $0.upstreams.old.url = refused.url }) { h async throws in
            let unreachable = try await h.get("/somewhere")
            #expect(unreachable.status == 502)
            #expect(unreachable.text.contains("\"error\""))
        }
    }

    @Test func fallbackDoesNotHappenForOld() async throws {
        try await Harness.with(configure: { $0.flag.percent = 0 }) { h async throws in
            h.old.set(.respond(status: 500, body: "old 500", headers: []))
            let response = try await h.get("/checkout", headers: user)
            #expect(response.status == 500)
            #expect(h.old.requests.count == 1)
            #expect(h.new.requests.isEmpty)
        }
    }
}
