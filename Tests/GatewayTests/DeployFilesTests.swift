import Foundation
import GatewayCore
import NIOHTTP1
import Testing

@Suite("deploy/ uses only metrics the gateway exports", .timeLimit(.minutes(1)))
struct DeployFilesTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// Every `gateway_*` name in the alert rules, the dashboard, the runbook and the README.
    static func namesUsed() throws -> Set<String> {
        let files = ["deploy/prometheus/alerts.yaml", "deploy/grafana/checkout-gateway.json", "deploy/RUNBOOK.md", "README.md"]
        var names = Set<String>()
        for file in files {
            let text = try String(contentsOf: repository.appendingPathComponent(file), encoding: .utf8)
            let pattern = try NSRegularExpression(pattern: "gateway_[a-z0-9_]+")
            for match in pattern.matches(in: text, range: NSRange(text.startIndex..., in: text)) {
                var name = String(text[Range(match.range, in: text)!])
                for suffix in ["_bucket", "_count", "_sum"] where name.hasSuffix(suffix) { name = String(name.dropLast(suffix.count)) }
                names.insert(name)
            }
        }
        return names
    }

    @Test func everyMetricNameInDeployExists() async throws {
        let used = try Self.namesUsed()
        #expect(used.count >= 10)
        try await Harness.with(configure: {
            $0.flag.percent = 100
            var guardrails = Guardrails()
            guardrails.conversion = Conversion(
                start: RequestMatch(pathPrefix: "/checkout", method: "GET"), done: RequestMatch(pathPrefix: "/api/checkout/orders", method: "POST")
            )
            $0.guardrails = guardrails
        }) { h async throws in
            _ = try await h.get("/checkout", headers: [("X-User-Id", "u")])
            _ = try await TestClient.send(port: h.port, method: .POST, path: "/api/checkout/orders", headers: [("X-User-Id", "u")], body: [1])
            h.new.set(.respond(status: 500, body: nil, headers: []))
            _ = try await h.get("/checkout", headers: [("X-User-Id", "u")])
            _ = try await RawClient.exchange(port: h.port, "GARBAGE\r\n\r\n")
            let text = try await TestClient.send(port: h.adminPort, path: "/metrics").text
            let exported = Set(
                text.split(separator: "\n").compactMap { line -> String? in
                    guard line.hasPrefix("# TYPE ") else { return nil }
                    return line.split(separator: " ").dropFirst(2).first.map(String.init)
                })
            let missing = used.subtracting(exported)
            #expect(missing.isEmpty, "used in deploy/ or README but not exported: \(missing.sorted())")
        }
    }
}
