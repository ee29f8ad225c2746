import Foundation
import GatewayCore
import NIOConcurrencyHelpers
import NIOHTTP1
import Testing

@Suite("Hot reload (README: Operating the gateway)", .timeLimit(.minutes(1)))
struct ReloadTests {
    private static func expected(_ user: String, percent: Int) -> Variant {
        Bucketing.isIn(bucket: Bucketing.bucket(groupID: "new-checkout", identity: user), percent: percent) ? .new : .old
    }

    @Test func reloadUnderLoadLosesNothingAndReportsTheBadFile() async throws {
        let state = TemporaryFiles.path("state.json")
        try await FileHarness.with(percent: 10, stateFile: state) { h async throws in
            let percents = [10, 50, 90, 30, 70, 0, 100, 20, 60, 40, 80, 55]
            let answers = NIOLockedValueBox([(user: String, status: Int, variant: String?)]())
            let stop = NIOLockedValueBox(false)
            try await withThrowingTaskGroup(of: Void.self) { clients in
                for client in 0..<4 {
                    clients.addTask {
                        try await TestClient.withConnection(port: h.port) { connection in
                            var index = 0
                            while !stop.withLockedValue({ $0 }) && index < 5000 {
                                let user = "user-\(client)-\(index % 25)"
                                let response = try await connection.send(path: "/checkout", headers: [("X-User-Id", user)])
                                answers.withLockedValue { $0.append((user, response.status, response.header("X-Checkout-Variant"))) }
                                index += 1
                            }
                        }
                    }
                }
                for percent in percents.dropFirst() {
                    try h.rewrite(percent: percent, stateFile: state)
                    try await h.waitForStatus("percent \(percent)") { ($0[path: "flag.percent_configured"] as? Int) == percent }
                    // Traffic runs under each config: 20 more answers before the next rewrite.
                    let before = answers.withLockedValue { $0.count }
                    while answers.withLockedValue({ $0.count }) < before + 20 { try await Task.sleep(for: .milliseconds(5)) }
                }
                let lastGood = percents.last!
                let bad = FileHarness.yaml(old: h.old, new: h.new, percent: 150, stateFile: state)
                try bad.write(toFile: h.configPath, atomically: true, encoding: .utf8)
                try await h.waitForStatus("the rejected file") { ($0[path: "config.last_error"] as? String) != nil }
                let status = try await h.status()
                let lines = bad.split(separator: "\n", omittingEmptySubsequences: false)
                let line = try #require(lines.firstIndex { $0.contains("percent: 150") }) + 1
                let column = try #require(lines[line - 1].range(of: "150")).lowerBound.utf16Offset(in: lines[line - 1]) + 1
                let lastError = status[path: "config.last_error"] as? String
                #expect(lastError?.contains("\(h.configPath):\(line):\(column): flag.percent must be a whole number from 0 to 100, got 150") == true)
                #expect(status[path: "flag.percent_effective"] as? Int == lastGood)
                let before = answers.withLockedValue { $0.count }
                while answers.withLockedValue({ $0.count }) < before + 200 { try await Task.sleep(for: .milliseconds(10)) }
                stop.withLockedValue { $0 = true }
                try await clients.waitForAll()
            }
            let all = answers.withLockedValue { $0 }
            #expect(all.count >= (percents.count - 1) * 20 + 200, "answers under every config and after the bad file")
            #expect(all.allSatisfy { $0.status == 200 }, "every request got an answer")
            for answer in all {
                let allowed = Set(percents.map { Self.expected(answer.user, percent: $0).rawValue })
                #expect(answer.variant.map(allowed.contains) == true, "\(answer.user) got \(answer.variant ?? "nothing")")
            }
            let metrics = MetricsText(try await TestClient.send(port: h.adminPort, path: "/metrics").text)
            #expect(metrics.value("gateway_config_reloads_total", ["result=rejected"]) == 1)
            #expect(metrics.value("gateway_config_reloads_total", ["result=ok"]) == Double(percents.count))
        }
    }

    @Test func renameReplaceIsPickedUp() async throws {
        let state = TemporaryFiles.path("state.json")
        try await FileHarness.with(percent: 0, stateFile: state) { h async throws in
            let staged = h.configPath + ".staged"
            try FileHarness.yaml(old: h.old, new: h.new, percent: 100, stateFile: state).write(toFile: staged, atomically: false, encoding: .utf8)
            #expect(rename(staged, h.configPath) == 0)
            try await h.waitForStatus("percent 100") { ($0[path: "flag.percent_configured"] as? Int) == 100 }
            let response = try await TestClient.send(port: h.port, path: "/checkout", headers: [("X-User-Id", "u")])
            #expect(response.header("X-Checkout-Variant") == "new")
        }
    }

    @Test func symlinkRepointIsPickedUp() async throws {
        let state = TemporaryFiles.path("state.json")
        let directory = TemporaryFiles.path("configmap")
        let first = directory + "/..2026_01"
        let second = directory + "/..2026_02"
        try FileManager.default.createDirectory(atPath: first, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: second, withIntermediateDirectories: true)
        // The Kubernetes ConfigMap layout: gateway.yaml -> ..data/gateway.yaml, ..data -> ..<timestamp>
        let data = directory + "/..data"
        #expect(symlink("..2026_01", data) == 0)
        #expect(symlink("..data/gateway.yaml", directory + "/gateway.yaml") == 0)
        try await FileHarness.with(
            percent: 0, stateFile: state, configPath: directory + "/gateway.yaml",
            placeConfig: { try $0.write(toFile: first + "/gateway.yaml", atomically: true, encoding: .utf8) }
        ) { h async throws in
            try FileHarness.yaml(old: h.old, new: h.new, percent: 100, stateFile: state).write(
                toFile: second + "/gateway.yaml", atomically: true, encoding: .utf8)
            #expect(symlink("..2026_02", data + ".tmp") == 0)
            #expect(rename(data + ".tmp", data) == 0)
            try await h.waitForStatus("percent 100 through the re-pointed link") { ($0[path: "flag.percent_configured"] as? Int) == 100 }
            let response = try await TestClient.send(port: h.port, path: "/checkout", headers: [("X-User-Id", "u")])
            #expect(response.header("X-Checkout-Variant") == "new")
        }
    }

    /// Every limit reloads, the parser's too: on a connection kept open across the reload, the
    /// request after it is held to the new `max_uri_bytes` and `max_header_bytes`.
    @Test func parserLimitsReloadOnAKeptAliveConnection() async throws {
        let state = TemporaryFiles.path("state.json")
        try await FileHarness.with(percent: 0, stateFile: state) { h async throws in
            let long = "/checkout?" + String(repeating: "q", count: 300)
            let big = String(repeating: "v", count: 600)
            try await TestClient.withConnection(port: h.port) { connection async throws in
                #expect(try await connection.send(path: long).status == 200)
                #expect(try await connection.send(path: "/checkout", headers: [("X-Big", big)]).status == 200)
                try h.rewrite(percent: 7, extra: "limits: { max_uri_bytes: 256B, max_header_bytes: 512B }", stateFile: state)
                try await h.waitForStatus("the new limits") { ($0[path: "flag.percent_configured"] as? Int) == 7 }
                #expect(try await connection.send(path: long).status == 414)
            }
            let answers = try await RawClient.exchange(
                port: h.port, "GET /checkout HTTP/1.1\r\nHost: a\r\n\r\nGET \(long) HTTP/1.1\r\nHost: a\r\n\r\n")
            #expect(RawClient.statuses(answers) == [200, 414])
            let headers = try await RawClient.exchange(port: h.port, "GET /checkout HTTP/1.1\r\nHost: a\r\nX-Big: \(big)\r\n\r\n")
            #expect(RawClient.statuses(headers) == [431])
        }
    }
}
