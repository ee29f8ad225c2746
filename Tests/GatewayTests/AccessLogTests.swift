import Foundation
import Gateway
import GatewayCore
import NIOConcurrencyHelpers
import NIOHTTP1
import Testing

@Suite("Access log and status summary", .timeLimit(.minutes(1)))
struct AccessLogTests {
    @Test func oneJSONLinePerRequestWithTheDecisionAndFallback() async throws {
        let (logger, lines) = CapturingLogHandler.logger()
        try await Harness.with(
            configure: {
                $0.flag.percent = 100; $0.accessLog = true
            }, accessLogger: logger
        ) { h async throws in
            h.new.set(.respond(status: 502, body: nil, headers: []))
            _ = try await h.get("/checkout/pay?card=1", headers: [("X-User-Id", "u"), ("X-Request-Id", "log-1")])
            _ = try await h.get("/home")
        }
        let entries = try lines.withLockedValue { $0 }.map { line in
            try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        }
        #expect(entries.count == 2)
        let first = try #require(entries.first)
        #expect(first["request_id"] as? String == "log-1")
        #expect(first["method"] as? String == "GET")
        #expect(first["path"] as? String == "/checkout/pay")
        #expect(first["status"] as? Int == 200)
        #expect(first["variant"] as? String == "old")
        #expect(first["reason"] as? String == "rollout")
        #expect(first["fallback"] as? String == "5xx")
        #expect((first["upstream_ms"] as? Double ?? -1) >= 0)
        #expect((first["total_ms"] as? Double ?? -1) >= (first["upstream_ms"] as? Double ?? 0))
        #expect((first["time"] as? String)?.hasSuffix("Z") == true)
        #expect(entries.last?["reason"] as? String == "no_route")
        #expect(entries.last?["fallback"] is NSNull)
    }

    @Test func accessLogFalseWritesNothing() async throws {
        let (logger, lines) = CapturingLogHandler.logger()
        try await Harness.with(configure: { $0.accessLog = false }, accessLogger: logger) { h async throws in
            _ = try await h.get("/checkout", headers: [("X-User-Id", "u")])
        }
        #expect(lines.withLockedValue { $0 }.isEmpty)
    }

    @Test func statusSummaryShowsWhatOpsCheck() async throws {
        try await Harness.with(configure: { $0.flag.percent = 25 }) { h async throws in
            _ = try await h.get("/checkout", headers: [("X-User-Id", "u")])
            let url = "http://127.0.0.1:\(h.adminPort)/status"
            let (status, body) = try await offThePool { try SimpleHTTPClient.get(url) }
            #expect(status == 200)
            let summary = StatusSummary.render(try StatusReport.decode(body))
            #expect(summary.contains("flag new-checkout: enabled"))
            #expect(summary.contains("percent: 25% in effect (25% configured)"))
            #expect(summary.contains("requests"))
            #expect(!summary.contains("REJECTED"))
        }
    }

    /// "no verdict" says why (the requests judged against the minimum), conversions are counted
    /// per variant, and a kill shows 0% in effect with who killed.
    @Test func statusExplainsNoVerdictShowsConversionsAndWhoKilled() async throws {
        let guardrails = """
            guardrails:
              min_requests: 100
              conversion:
                start: { path_prefix: /checkout, method: GET }
                done: { path_prefix: /checkout/orders, method: POST }
            """
        try await FileHarness.with(percent: 100, extra: guardrails) { h async throws in
            for user in 0..<3 { _ = try await TestClient.send(port: h.port, path: "/checkout", headers: [("X-User-Id", "u\(user)")]) }
            _ = try await TestClient.send(
                port: h.port, method: .POST, path: "/checkout/orders", headers: [("X-User-Id", "u0")], body: Array("{}".utf8))
            let url = "http://127.0.0.1:\(h.adminPort)/status"
            var summary = ""
            let deadline = ContinuousClock.now + .seconds(5)
            while !summary.contains("4 of 100 requests on new") && ContinuousClock.now < deadline {
                let (_, body) = try await offThePool { try SimpleHTTPClient.get(url) }
                summary = StatusSummary.render(try StatusReport.decode(body))
                if !summary.contains("4 of 100 requests on new") { try await Task.sleep(for: .milliseconds(50)) }
            }
            #expect(summary.contains("guardrails (rollback): no verdict: 4 of 100 requests on new in the window"), "\(summary)")
            #expect(summary.contains("new: 4 requests, 0 errors (0%), ") && summary.contains("conversion 1 of 3 checkouts (33.33%)"), "\(summary)")
            #expect(try await TestClient.send(port: h.adminPort, method: .POST, path: "/admin/kill", body: []).status == 200)
            let (_, body) = try await offThePool { try SimpleHTTPClient.get(url) }
            let killed = StatusSummary.render(try StatusReport.decode(body))
            #expect(killed.contains("flag new-checkout: KILLED by peer 127.0.0.1"), "\(killed)")
            #expect(killed.contains("percent: 0% in effect (100% configured; the ramp stands at 100% for when it is back)"), "\(killed)")
        }
    }
}
