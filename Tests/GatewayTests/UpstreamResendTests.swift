import GatewayCore
import NIOHTTP1
import Testing

/// libcurl re-sends a request by itself when a reused connection dies before any answer
/// ("Connection died, retrying a fresh connect"). For a checkout POST that is a second charge,
/// so a request that must not be replayed never goes out on a reused connection, and every
/// re-send of a safe request is counted (docs/architecture.md, "Upstream connections").
///
/// Each test sends its requests over one client connection: upstream connections belong to the
/// worker that reads the client, so only then is the second request sure to find the first one's
/// kept-alive upstream connection.
@Suite("Upstream re-sends over stale connections", .timeLimit(.minutes(1)))
struct UpstreamResendTests {
    @Test func postWithoutIdempotencyKeyReachesOldExactlyOnce() async throws {
        try await Harness.with { h in
            h.old.set(.resetReusedConnections)
            let answer = try await TestClient.withConnection(port: h.port) { connection async throws in
                // Leaves a kept-alive connection to old that the upstream resets on its next request.
                #expect(try await connection.send(path: "/cart").status == 200)
                return try await connection.send(method: .POST, path: "/orders", body: Array("card=4242".utf8))
            }
            #expect(answer.status == 200)
            #expect(h.old.requests.filter { $0.method == "POST" }.count == 1, "the POST reached old exactly once")
        }
    }

    @Test func postWithoutIdempotencyKeyReachesNewExactlyOnce() async throws {
        try await Harness.with(configure: { $0.flag.percent = 100 }) { h in
            h.new.set(.resetReusedConnections)
            let answer = try await TestClient.withConnection(port: h.port) { connection async throws in
                #expect(try await connection.send(path: "/checkout", headers: [("X-User-Id", "u1")]).status == 200)
                return try await connection.send(
                    method: .POST, path: "/checkout/pay", headers: [("X-User-Id", "u1")], body: Array("card=4242".utf8))
            }
            #expect(answer.status == 200)
            #expect(answer.header("X-Checkout-Variant") == "new")
            #expect(h.new.requests.filter { $0.method == "POST" }.count == 1, "the POST reached new exactly once")
            #expect(h.old.requests.isEmpty)
        }
    }

    @Test func resendsOfSafeRequestsAreCounted() async throws {
        try await Harness.with { h in
            h.old.set(.resetReusedConnections)
            try await TestClient.withConnection(port: h.port) { connection async throws in
                #expect(try await connection.send(path: "/cart").status == 200)
                #expect(try await connection.send(path: "/cart").status == 200)
            }
            // The second GET died on the reused connection and libcurl sent it again.
            #expect(h.old.requests.count == 3)
            let metrics = MetricsText(try await TestClient.send(port: h.adminPort, path: "/metrics").text)
            #expect(metrics.value("gateway_upstream_requests_total", ["upstream=old", "result=resent"]) == 1)
            #expect(metrics.value("gateway_upstream_requests_total", ["upstream=old", "result=2xx"]) == 2)
            #expect(metrics.value("gateway_upstream_requests_total", ["upstream=new", "result=resent"]) == 0)
        }
    }

    /// With an `Idempotency-Key` the upstream can de-duplicate, so the same rule that allows a
    /// fallback replay allows libcurl's re-send; it is counted.
    @Test func postWithIdempotencyKeyMayBeResentAndIsCounted() async throws {
        try await Harness.with { h in
            h.old.set(.resetReusedConnections)
            let answer = try await TestClient.withConnection(port: h.port) { connection async throws in
                #expect(try await connection.send(path: "/cart").status == 200)
                return try await connection.send(method: .POST, path: "/orders", headers: [("Idempotency-Key", "order-1")], body: Array("x".utf8))
            }
            #expect(answer.status == 200)
            let posts = h.old.requests.filter { $0.method == "POST" }
            #expect(posts.count == 2)
            #expect(posts.allSatisfy { $0.headers.first(name: "Idempotency-Key") == "order-1" })
            let metrics = MetricsText(try await TestClient.send(port: h.adminPort, path: "/metrics").text)
            #expect(metrics.value("gateway_upstream_requests_total", ["upstream=old", "result=resent"]) == 1)
        }
    }
}
