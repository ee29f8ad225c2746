import Foundation
import GatewayCore
import NIOHTTP1
import Testing

@Suite("Admin listener: kill, resume, auth (README: Admin listener)", .timeLimit(.minutes(1)))
struct AdminTests {
    private let user = [("X-User-Id", "u1")]

    @Test func killSendsTheVeryNextRequestToOldAndResumeRestoresTheRamp() async throws {
        try await FileHarness.with(percent: 100) { h async throws in
            #expect(try await TestClient.send(port: h.port, path: "/checkout", headers: user).header("X-Checkout-Variant") == "new")
            let kill = try await h.admin("/admin/kill")
            #expect(kill.status == 200)
            #expect(try await TestClient.send(port: h.port, path: "/checkout", headers: user).header("X-Checkout-Variant") == "old")
            let status = try await h.status()
            #expect(status[path: "flag.killed"] as? Bool == true)
            #expect(status[path: "flag.killed_at"] as? String != nil)
            let metrics = MetricsText(try await TestClient.send(port: h.adminPort, path: "/metrics").text)
            #expect(metrics.value("gateway_flag_enabled") == 0)

            #expect(try await h.admin("/admin/resume").status == 200)
            #expect(try await TestClient.send(port: h.port, path: "/checkout", headers: user).header("X-Checkout-Variant") == "new")
            #expect(try await h.status()[path: "flag.killed"] as? Bool == false)
        }
    }

    @Test func killSurvivesARestartThroughTheStateFile() async throws {
        let state = TemporaryFiles.path("state.json")
        try await FileHarness.with(percent: 100, stateFile: state) { h async throws in
            let kill = try await h.admin("/admin/kill")
            #expect(kill.status == 200)
        }
        let saved = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: state))) as? [String: Any]
        #expect(saved?["killed"] as? Bool == true)
        try await FileHarness.with(percent: 100, stateFile: state) { h async throws in
            #expect(try await TestClient.send(port: h.port, path: "/checkout", headers: user).header("X-Checkout-Variant") == "old")
            #expect(try await h.status()[path: "flag.killed"] as? Bool == true)
            #expect(try await h.admin("/admin/resume").status == 200)
            #expect(try await TestClient.send(port: h.port, path: "/checkout", headers: user).header("X-Checkout-Variant") == "new")
        }
    }

    @Test func withoutATokenOnlyLoopbackPeersMayChangeThings() async throws {
        try await FileHarness.with(percent: 100, adminHost: "127.0.0.2") { h async throws in
            let remote = try await TestClient.withConnection(port: h.adminPort, host: "127.0.0.2", sourceHost: "127.0.0.2") { connection in
                try await connection.send(method: .POST, path: "/admin/kill", body: [])
            }
            #expect(remote.status == 403)
            let remoteRead = try await TestClient.withConnection(port: h.adminPort, host: "127.0.0.2", sourceHost: "127.0.0.2") { connection in
                try await connection.send(path: "/status")
            }
            #expect(remoteRead.status == 200, "reading stays open")
            #expect(try await TestClient.send(port: h.port, path: "/checkout", headers: user).header("X-Checkout-Variant") == "new")
            let local = try await TestClient.withConnection(port: h.adminPort, host: "127.0.0.2", sourceHost: "127.0.0.1") { connection in
                try await connection.send(method: .POST, path: "/admin/kill", body: [])
            }
            #expect(local.status == 200)
        }
    }

    @Test func withATokenConfiguredTheTokenIsRequired() async throws {
        try await FileHarness.with(percent: 100, environment: ["GATEWAY_ADMIN_TOKEN": "s3cret"]) { h async throws in
            #expect(try await h.admin("/admin/kill").status == 401)
            #expect(try await h.admin("/admin/kill", headers: [("Authorization", "Bearer wrong")]).status == 401)
            #expect(try await TestClient.send(port: h.port, path: "/checkout", headers: user).header("X-Checkout-Variant") == "new")
            #expect(try await h.admin("/admin/kill", headers: [("Authorization", "Bearer s3cret")]).status == 200)
            #expect(try await TestClient.send(port: h.port, path: "/checkout", headers: user).header("X-Checkout-Variant") == "old")
        }
    }

    /// A refusal is not a usage error: the command says what to do and exits 1, without a usage block.
    @Test func theKillCommandExplainsARefusal() async throws {
        try await FileHarness.with(percent: 100, environment: ["GATEWAY_ADMIN_TOKEN": "s3cret"]) { h async throws in
            let result = try await GatewayProcess.run(arguments: ["kill", "--admin", "http://127.0.0.1:\(h.adminPort)"])
            #expect(result.status == 1)
            #expect(result.stderr.contains("kill refused (401): set GATEWAY_ADMIN_TOKEN to the gateway's admin token"), "\(result.stderr)")
            #expect(!result.stderr.contains("Usage:"))
        }
    }

    /// The scheme name is case-insensitive (RFC 9110 §11.1); two Authorization fields are not.
    @Test func theBearerSchemeIsMatchedCaseInsensitively() async throws {
        try await FileHarness.with(percent: 100, environment: ["GATEWAY_ADMIN_TOKEN": "s3cret"]) { h async throws in
            #expect(try await h.admin("/admin/kill", headers: [("Authorization", "bearer s3cret")]).status == 200)
            #expect(try await h.admin("/admin/resume", headers: [("Authorization", "BEARER  s3cret")]).status == 200)
            let two = [("Authorization", "Bearer s3cret"), ("Authorization", "Bearer wrong")]
            #expect(try await h.admin("/admin/kill", headers: two).status == 401)
        }
    }

    @Test func adminReloadAppliesAChangedFile() async throws {
        let state = TemporaryFiles.path("state.json")
        try await FileHarness.with(percent: 0, stateFile: state) { h async throws in
            try h.rewrite(percent: 100, stateFile: state)
            let reload = try await h.admin("/admin/reload")
            #expect(reload.status == 200)
            #expect(try await TestClient.send(port: h.port, path: "/checkout", headers: user).header("X-Checkout-Variant") == "new")
            try h.rewrite(percent: 101, stateFile: state)
            let rejected = try await h.admin("/admin/reload")
            #expect(rejected.status == 422)
            #expect(rejected.text.contains("got 101"))
        }
    }

    @Test func healthReadinessAndMethods() async throws {
        try await Harness.with { h in
            let health = try await TestClient.send(port: h.adminPort, path: "/healthz")
            let ready = try await TestClient.send(port: h.adminPort, path: "/readyz")
            let unknown = try await TestClient.send(port: h.adminPort, path: "/nowhere")
            let wrongMethod = try await TestClient.send(port: h.adminPort, path: "/admin/kill")
            #expect(health.status == 200)
            #expect(ready.status == 200)
            #expect(unknown.status == 404)
            #expect(wrongMethod.status == 405)
        }
    }
}

@Suite("Metrics (README: Admin listener)", .timeLimit(.minutes(1)))
struct MetricsTests {
    @Test func aKnownMixOfTrafficShowsExactlyThoseCounts() async throws {
        try await Harness.with(configure: {
            $0.flag.percent = 100; $0.upstreams.new.timeout = TestTiming.scaled(.seconds(1))
        }) { h async throws in
            let user = [("X-User-Id", "u1")]
            _ = try await h.get("/checkout", headers: user)
            _ = try await h.get("/checkout", headers: user)
            h.new.set(.respond(status: 500, body: nil, headers: []))
            _ = try await h.get("/checkout", headers: user)
            h.new.set(.hang)
            _ = try await h.get("/checkout", headers: user)
            h.old.set(.respond(status: 503, body: nil, headers: []))
            _ = try await h.get("/account")

            let metrics = MetricsText(try await TestClient.send(port: h.adminPort, path: "/metrics").text)
            #expect(metrics.value("gateway_requests_total", ["variant=new", "outcome=ok", "code=200"]) == 2)
            #expect(metrics.value("gateway_requests_total", ["variant=old", "outcome=fallback", "code=200"]) == 2)
            #expect(metrics.value("gateway_requests_total", ["variant=old", "outcome=error", "code=503"]) == 1)
            #expect(metrics.value("gateway_fallbacks_total", ["cause=5xx"]) == 1)
            #expect(metrics.value("gateway_fallbacks_total", ["cause=timeout"]) == 1)
            #expect(metrics.value("gateway_upstream_requests_total", ["upstream=new", "result=2xx"]) == 2)
            #expect(metrics.value("gateway_upstream_requests_total", ["upstream=new", "result=5xx"]) == 1)
            #expect(metrics.value("gateway_upstream_requests_total", ["upstream=new", "result=timeout"]) == 1)
            #expect(metrics.value("gateway_upstream_requests_total", ["upstream=old", "result=2xx"]) == 2)
            #expect(metrics.value("gateway_upstream_requests_total", ["upstream=old", "result=5xx"]) == 1)
            #expect(metrics.value("gateway_request_duration_seconds_count", ["variant=new"]) == 2)
            #expect(metrics.value("gateway_request_duration_seconds_count", ["variant=old"]) == 3)
            #expect(metrics.value("gateway_upstream_duration_seconds_count", ["upstream=new"]) == 4)
            #expect(metrics.value("gateway_flag_percent") == 100)
            #expect(metrics.value("gateway_flag_enabled") == 1)
            #expect(metrics.value("gateway_rollback_latched") == 0)
            #expect(metrics.value("gateway_config_reloads_total", ["result=ok"]) == 1)
            #expect((metrics.value("gateway_config_last_reload_timestamp_seconds") ?? 0) > 1_700_000_000)
            #expect(metrics.value("gateway_open_connections") != nil)

            let status =
                try JSONSerialization.jsonObject(with: Data(try await TestClient.send(port: h.adminPort, path: "/status").body)) as? [String: Any]
            #expect(status?[path: "window.new.requests"] as? Int == 4)
            #expect(status?[path: "window.new.errors"] as? Int == 2)
            #expect(status?[path: "window.old.errors"] as? Int == 1)
        }
    }

    @Test func refusedUnsafeFallbackIsCountedAsAnError() async throws {
        try await Harness.with(configure: { $0.flag.percent = 100 }) { h async throws in
            h.new.set(.respond(status: 500, body: nil, headers: []))
            let response = try await TestClient.send(port: h.port, method: .POST, path: "/checkout", headers: [("X-User-Id", "u")], body: [1])
            #expect(response.status == 500)
            let metrics = MetricsText(try await TestClient.send(port: h.adminPort, path: "/metrics").text)
            #expect(metrics.value("gateway_requests_total", ["variant=new", "outcome=error", "code=500"]) == 1)
            #expect(metrics.value("gateway_fallbacks_total", ["cause=unsafe_method"]) == 1)
        }
    }
}
