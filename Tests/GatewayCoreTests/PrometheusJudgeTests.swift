import Foundation
import GatewayCore
import Testing

/// The Prometheus checks' verdict (pure): a missing, failed, stale or empty answer is no verdict;
/// any breach wins; the combination with the built-in verdict never turns a no verdict into a go.
@Suite("Prometheus checks (pure)", .timeLimit(.minutes(1)))
struct PrometheusJudgeTests {
    let now = Date(timeIntervalSince1970: 1_800_000_000)
    let section = PrometheusChecks(
        url: "http://prometheus:9090",
        checks: [
            .init(name: "payment errors", query: "q1", limit: .max(0.01)),
            .init(name: "orders per second", query: "q2", limit: .min(1)),
        ])

    private func result(_ answer: PrometheusJudge.Answer, age: TimeInterval = 1) -> PrometheusJudge.Result {
        PrometheusJudge.Result(answer: answer, at: now.addingTimeInterval(-age))
    }

    @Test func verdicts() {
        let healthy = ["payment errors": result(.values([0.001, 0.004])), "orders per second": result(.values([3]))]
        #expect(PrometheusJudge.verdict(section, results: healthy, now: now) == .go)
        var breach = healthy
        breach["payment errors"] = result(.values([0.001, 0.03]))
        #expect(PrometheusJudge.verdict(section, results: breach, now: now) == .breach("prometheus check 'payment errors' 0.03 > 0.01"))
        var low = healthy
        low["orders per second"] = result(.values([0.5, 4]))
        #expect(PrometheusJudge.verdict(section, results: low, now: now) == .breach("prometheus check 'orders per second' 0.5 < 1"))

        for (name, answer, age) in [
            ("failed", PrometheusJudge.Answer.failed("cannot reach http://prometheus:9090"), 1.0), ("empty", .values([]), 1),
            ("stale", .values([3]), 46),
        ] {
            var partial = healthy
            partial["orders per second"] = result(answer, age: age)
            guard case .noVerdict = PrometheusJudge.verdict(section, results: partial, now: now) else {
                Issue.record("\(name): expected no verdict")
                continue
            }
        }
        guard case .noVerdict(let reason) = PrometheusJudge.verdict(section, results: [:], now: now) else {
            Issue.record("no answers yet: expected no verdict")
            return
        }
        #expect(reason.contains("'payment errors': no recent answer") && reason.contains("'orders per second'"))
        var breachAndMissing = breach
        breachAndMissing["orders per second"] = nil
        #expect(PrometheusJudge.verdict(section, results: breachAndMissing, now: now) == .breach("prometheus check 'payment errors' 0.03 > 0.01"))
    }

    @Test func combinedWithTheBuiltInVerdict() {
        #expect(PrometheusJudge.combine(.go, .noVerdict("down")) == .noVerdict, "an unreachable Prometheus is never a go")
        #expect(PrometheusJudge.combine(.noVerdict, .go) == .noVerdict)
        #expect(PrometheusJudge.combine(.go, .go) == .go)
        #expect(PrometheusJudge.combine(.noVerdict, .breach("x")) == .breach("x"))
        #expect(PrometheusJudge.combine(.breach("built-in"), .breach("x")) == .breach("built-in"))
        #expect(PrometheusJudge.combine(.go, nil) == .go)
    }

    @Test func configuration() throws {
        let config = try ConfigLoader.parse(
            """
            version: 1
            upstreams: { old: { url: http://127.0.0.1:1 }, new: { url: http://127.0.0.1:2 } }
            flag: { key: f }
            guardrails:
              prometheus:
                url: http://prometheus:9090/
                checks:
                  - { name: payment errors, query: 'sum(rate(payment_errors_total[5m]))', max: 0.01 }
            """, file: "gateway.yaml")
        let checks = try #require(config.guardrails?.prometheus)
        #expect(checks.url == "http://prometheus:9090" && checks.interval == .seconds(15))
        #expect(checks.checks == [.init(name: "payment errors", query: "sum(rate(payment_errors_total[5m]))", limit: .max(0.01))])
        do {
            _ = try ConfigLoader.parse(
                """
                version: 1
                upstreams: { old: { url: http://127.0.0.1:1 }, new: { url: http://127.0.0.1:2 } }
                flag: { key: f }
                guardrails:
                  prometheus: { url: http://p:9090, checks: [{ name: a, query: up, max: 1, min: 0 }, { name: b, query: up }] }
                """, file: "gateway.yaml")
            Issue.record("expected errors")
        } catch {
            #expect(
                error.problems.map(\.message) == [
                    "guardrails.prometheus.checks[0] needs exactly one of max or min",
                    "guardrails.prometheus.checks[1] needs exactly one of max or min",
                ])
        }
    }
}
