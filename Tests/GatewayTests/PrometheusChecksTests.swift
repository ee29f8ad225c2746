import Foundation
import GatewayCore
import NIOHTTP1
import Testing

/// `guardrails.prometheus` with a real Prometheus scraping the gateway on loopback: a passing
/// check lets the ramp advance, a failing one rolls it back, and an unreachable Prometheus holds
/// the ramp (no verdict, never a go).
@Suite("Custom go/no-go checks from Prometheus", .timeLimit(.minutes(2)))
struct PrometheusChecksTests {
    static func config(prometheus url: String, check: String) -> String {
        """
        schedule:
          start: \(ISO8601DateFormatter().string(from: Date().addingTimeInterval(-2)))
          steps:
            - { percent: 100, hold: 1s }
            - { percent: 100 }
        guardrails:
          window: 30s
          min_requests: 5
          max_p99_ratio: 1000
          action: rollback
          prometheus:
            url: \(url)
            interval: 1s
            timeout: 1s
            checks:
              - \(check)
        """
    }

    private func traffic(_ h: FileHarness) async throws {
        for index in 0..<10 {
            #expect(try await TestClient.send(port: h.port, path: "/checkout", headers: [("X-User-Id", "u\(index)")]).status == 200)
        }
    }

    @Test func aPassingCheckLetsTheRampAdvanceAndAFailingOneRollsItBack() async throws {
        let port = try FreePort.find()
        let passing = "{ name: gateway scraped, query: 'up{job=\"checkout-gateway\"}', min: 1 }"
        let state = TemporaryFiles.path("state.json")
        try await FileHarness.with(percent: 0, stateFile: state, extra: Self.config(prometheus: "http://127.0.0.1:\(port)", check: passing)) {
            h async throws in
            let prometheus = try await PrometheusServer.start(port: port, scraping: ["127.0.0.1:\(h.adminPort)"])
            defer { prometheus.stop() }
            try await traffic(h)
            try await waitForStatus(h, "the ramp advances on a go from Prometheus", within: .seconds(20)) {
                $0[path: "schedule.step"] as? Int == 2
            }
            let status = try await h.status()
            #expect(status[path: "guardrails.prometheus.verdict"] as? String == "go")

            // The same gateway, a check that fails: `up` is 1, above a max of 0.5.
            let failing = "{ name: nothing scraped, query: 'up{job=\"checkout-gateway\"}', max: 0.5 }"
            try h.rewrite(percent: 0, extra: Self.config(prometheus: prometheus.url, check: failing), stateFile: state)
            try await traffic(h)
            try await waitForStatus(h, "a failing check latches a rollback", within: .seconds(20)) { $0[path: "flag.latched"] as? Bool == true }
            let latched = try await h.status()
            #expect((latched[path: "flag.latch_reason"] as? String)?.hasPrefix("prometheus check 'nothing scraped' 1 > 0.5") == true, "\(latched)")
        }
    }

    @Test func anUnreachablePrometheusHoldsTheRamp() async throws {
        let dead = try RefusingPort()
        defer { dead.close() }
        let check = "{ name: payment errors, query: 'sum(rate(payment_errors_total[5m]))', max: 0.01 }"
        try await FileHarness.with(percent: 0, extra: Self.config(prometheus: "http://127.0.0.1:\(dead.port)", check: check)) { h async throws in
            try await traffic(h)
            try await waitForStatus(h, "the checks report no answer", within: .seconds(10)) {
                ($0[path: "guardrails.prometheus.reason"] as? String)?.contains("cannot reach") == true
            }
            let status = try await h.status()
            #expect(status[path: "guardrails.verdict"] as? String == "no_verdict")
            #expect((status[path: "guardrails.reason"] as? String)?.contains("payment errors") == true, "\(status)")
            // Watched until two evaluations after the hold ended: the step never moves.
            let holdEnds = try #require(ISO8601DateFormatter().date(from: status[path: "schedule.next_step_at"] as? String ?? ""))
            while Date() < holdEnds.addingTimeInterval(2.5) {
                let now = try await h.status()
                #expect(now[path: "schedule.step"] as? Int == 1, "no verdict never advances the ramp")
                #expect(now[path: "flag.latched"] as? Bool == false, "and never rolls it back")
                try await Task.sleep(for: .milliseconds(200))
            }
        }
    }

    private func waitForStatus(_ h: FileHarness, _ what: String, within limit: Duration, _ condition: ([String: Any]) -> Bool) async throws {
        let deadline = ContinuousClock.now + limit
        while ContinuousClock.now < deadline {
            if condition(try await h.status()) { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw WaitTimeout(what: what)
    }
}
