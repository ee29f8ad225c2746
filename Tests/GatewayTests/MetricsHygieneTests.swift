import Foundation
import Gateway
import GatewayCore
import Testing

/// `/metrics` of a gateway that has served nothing yet: every family has its `# HELP`, every
/// series the alert rules select exists (at zero), and the standard `process_*` metrics and
/// `gateway_build_info` are there.
@Suite("Metrics hygiene", .timeLimit(.minutes(1)))
struct MetricsHygieneTests {
    /// `name{label="v",label=~"a|b",label!="c"}` selectors in `deploy/prometheus/alerts.yaml`.
    struct Selector: CustomStringConvertible {
        var name: String
        var matchers: [(label: String, op: String, value: String)]
        var description: String { name + "{" + matchers.map { "\($0.label)\($0.op)\"\($0.value)\"" }.joined(separator: ",") + "}" }

        func matches(_ labels: [String: String]) -> Bool {
            matchers.allSatisfy { matcher in
                let value = labels[matcher.label] ?? ""
                switch matcher.op {
                case "=": return value == matcher.value
                case "!=": return value != matcher.value
                case "=~": return matcher.value.split(separator: "|").contains { $0 == value }
                default: return false
                }
            }
        }
    }

    static func alertSelectors() throws -> [Selector] {
        let text = try String(contentsOf: DeployFilesTests.repository.appendingPathComponent("deploy/prometheus/alerts.yaml"), encoding: .utf8)
        let pattern = try NSRegularExpression(pattern: #"(gateway_[a-z0-9_]+)(\{([^}]*)\})?"#)
        let matcher = try NSRegularExpression(pattern: #"([a-z_]+)\s*(=~|!=|=)\s*"([^"]*)""#)
        return pattern.matches(in: text, range: NSRange(text.startIndex..., in: text)).map { match in
            let name = String(text[Range(match.range(at: 1), in: text)!])
            var matchers: [(String, String, String)] = []
            if let range = Range(match.range(at: 3), in: text) {
                let inside = String(text[range])
                for m in matcher.matches(in: inside, range: NSRange(inside.startIndex..., in: inside)) {
                    matchers.append(
                        (
                            String(inside[Range(m.range(at: 1), in: inside)!]), String(inside[Range(m.range(at: 2), in: inside)!]),
                            String(inside[Range(m.range(at: 3), in: inside)!])
                        ))
                }
            }
            return Selector(name: name, matchers: matchers)
        }
    }

    /// Each sample line as its name and labels.
    static func samples(_ text: String) -> [(name: String, labels: [String: String], value: Double)] {
        text.split(separator: "\n").compactMap { line in
            guard !line.hasPrefix("#"), let space = line.lastIndex(of: " "), let value = Double(line[line.index(after: space)...]) else { return nil }
            let series = line[..<space]
            guard let brace = series.firstIndex(of: "{") else { return (String(series), [:], value) }
            var labels: [String: String] = [:]
            for pair in series[series.index(after: brace)..<series.index(before: series.endIndex)].split(separator: ",") {
                let parts = pair.split(separator: "=", maxSplits: 1)
                if parts.count == 2 { labels[String(parts[0])] = parts[1].replacingOccurrences(of: "\"", with: "") }
            }
            return (String(series[..<brace]), labels, value)
        }
    }

    @Test func aFreshGatewayExportsEveryFamilyWithHelpAndEveryAlertSeries() async throws {
        let conversion = """
            guardrails:
              conversion:
                start: { path_prefix: /checkout, method: GET }
                done: { path_prefix: /checkout/orders, method: POST }
            """
        try await FileHarness.with(percent: 50, extra: conversion) { h async throws in
            let text = try await TestClient.send(port: h.adminPort, path: "/metrics").text
            let lines = text.split(separator: "\n")
            let typed = lines.filter { $0.hasPrefix("# TYPE ") }.map { String($0.split(separator: " ")[2]) }
            let helped = Set(lines.filter { $0.hasPrefix("# HELP ") }.map { String($0.split(separator: " ")[2]) })
            #expect(typed.count >= 25)
            #expect(Set(typed).subtracting(helped).isEmpty, "families without # HELP: \(Set(typed).subtracting(helped).sorted())")

            let samples = Self.samples(text)
            let selectors = try Self.alertSelectors()
            #expect(selectors.count >= 10)
            // gateway_requests_total is labelled by status code, which exists once answered; the alert
            // divides by it, and without traffic there is nothing to alert on.
            for selector in selectors where selector.name != "gateway_requests_total" {
                let found = samples.contains { sample in
                    (sample.name == selector.name || sample.name == selector.name + "_bucket") && selector.matches(sample.labels)
                }
                #expect(found, "the alerts select \(selector), which a fresh gateway does not export")
            }

            func value(_ name: String, _ labels: [String: String] = [:]) -> Double? {
                samples.first { $0.name == name && $0.labels == labels }?.value
            }
            #expect(value("gateway_build_info", ["version": GatewayVersion.current]) == 1)
            #expect((value("process_resident_memory_bytes") ?? 0) > 1_000_000)
            #expect((value("process_open_fds") ?? 0) >= 3)
            #expect((value("process_max_fds") ?? 0) >= (value("process_open_fds") ?? .infinity))
            #expect(value("process_cpu_seconds_total") != nil)
            let started = value("process_start_time_seconds") ?? 0
            #expect(abs(started - Date().timeIntervalSince1970) < 24 * 3600, "start time \(started) is this process's")
            #expect(value("gateway_ramp_leader") == 1, "a state_file gateway leads its own ramp")
        }
    }
}
