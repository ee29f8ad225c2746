import Foundation
import Gateway
import GatewayCore
import NIOConcurrencyHelpers
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
}
