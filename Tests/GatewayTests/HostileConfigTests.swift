import Foundation
import NIOHTTP1
import Testing

/// A bad config reaches every replica through the file poller: it must be refused with its
/// `file:line:col` while the previous config keeps serving, and `serve` must refuse at start
/// exactly what `validate` refuses.
@Suite("Hostile config files against the real binary", .timeLimit(.minutes(1)))
struct HostileConfigTests {
    /// 50,000 levels of nesting crashed every running gateway (SIGSEGV) through the poller.
    @Test func deeplyNestedConfigIsRejectedWhileServingGoesOn() async throws {
        let old = try await TestUpstream.start("old")
        let new = try await TestUpstream.start("new")
        let state = TemporaryFiles.path("state.json")
        let config = TemporaryFiles.path("gateway.yaml")
        try FileHarness.yaml(old: old, new: new, percent: 0, stateFile: state).write(toFile: config, atomically: true, encoding: .utf8)
        let gateway = try await GatewayProcess.launch(arguments: ["serve", "--config", config, "--poll-interval", "0.05"])
        let deep = "version: 1\nflag: " + String(repeating: "[", count: 50_000) + String(repeating: "]", count: 50_000) + "\n"
        try deep.write(toFile: config, atomically: true, encoding: .utf8)

        var lastError: String?
        let deadline = ContinuousClock.now + .seconds(10)
        while lastError == nil && ContinuousClock.now < deadline {
            let status = try await TestClient.send(port: gateway.adminPort, path: "/status")
            let json = try JSONSerialization.jsonObject(with: Data(status.body)) as? [String: Any]
            lastError = json?[path: "config.last_error"] as? String
            if lastError == nil { try await Task.sleep(for: .milliseconds(20)) }
        }
        #expect(lastError?.contains("\(config):2:70: the YAML is nested more than 64 levels deep") == true, "\(lastError ?? "none")")
        #expect(gateway.process.isRunning)
        let answer = try await TestClient.send(port: gateway.publicPort, path: "/checkout", headers: [("X-User-Id", "u")])
        #expect(answer.status == 200)
        let metrics = MetricsText(try await TestClient.send(port: gateway.adminPort, path: "/metrics").text)
        #expect(metrics.value("gateway_config_reloads_total", ["result=rejected"]) == 1)
        gateway.signal(SIGTERM)
        #expect(try await gateway.exitStatus() == 0)
        await old.shutdown()
        await new.shutdown()
    }

    /// A busy port used to print NIO's `bind(descriptor:ptr:bytes:)` error: now the address, the
    /// setting that chose it and what to do.
    @Test func aBusyPortIsNamedWithItsSetting() async throws {
        let busy = try RefusingPort()
        defer { busy.close() }
        let config = TemporaryFiles.path("gateway.yaml")
        let text =
            "version: 1\nlisten: 127.0.0.1:\(busy.port)\nadmin:\n  listen: 127.0.0.1:0\nupstreams:\n  old:\n    url: http://127.0.0.1:1\n  new:\n    url: http://127.0.0.1:2\nflag:\n  key: new-checkout\nstate_file: \(TemporaryFiles.path("state.json"))\n"
        try text.write(toFile: config, atomically: true, encoding: .utf8)
        let result = try await GatewayProcess.run(arguments: ["serve", "--config", config])
        #expect(result.status == 1)
        #expect(
            result.stderr.contains(
                "cannot listen on 127.0.0.1:\(busy.port) (listen): the address is already in use by another process; free the address or change listen"
            ), "\(result.stderr)")
        #expect(!result.stderr.contains("bind(descriptor"))
    }

    /// `serve` replaced invalid bytes (changing the flag key, so every bucket) where `validate`
    /// refused the file.
    @Test func serveRefusesInvalidUTF8AsValidateDoes() async throws {
        let config = TemporaryFiles.path("gateway.yaml")
        var bytes = Array(
            "version: 1\nupstreams:\n  old:\n    url: http://127.0.0.1:1\n  new:\n    url: http://127.0.0.1:2\nflag:\n  key: new-checkout".utf8)
        bytes.append(0xFF)
        bytes.append(0x0A)
        try Data(bytes).write(to: URL(fileURLWithPath: config))
        for command in ["serve", "validate"] {
            let (status, _, stderr) = try await GatewayProcess.run(arguments: [command, "--config", config])
            #expect(status == 1, "\(command)")
            #expect(stderr.contains("\(config):1:1: the file is not valid UTF-8"), "\(command): \(stderr)")
        }
    }
}

/// Reloads that change an upstream setting make new libcurl clients; the old ones used to live
/// on for the longest request time (386 reloads in 20 s: 276 threads, 16,037 descriptors).
@Suite("Reload storms against the real binary", .timeLimit(.minutes(1)))
struct ReloadStormTests {
    @Test func retiredUpstreamClientsStopOnceNoRequestUsesThem() async throws {
        let old = try await TestUpstream.start("old")
        let new = try await TestUpstream.start("new")
        let state = TemporaryFiles.path("state.json")
        let config = TemporaryFiles.path("gateway.yaml")
        func write(_ index: Int) throws {
            try FileHarness.yaml(old: old, new: new, percent: 50, stateFile: state, newTimeout: "\(400 + index)ms")
                .write(toFile: config, atomically: true, encoding: .utf8)
        }
        try write(0)
        let gateway = try await GatewayProcess.launch(arguments: ["serve", "--config", config, "--poll-interval", "3600"])
        _ = try await TestClient.send(port: gateway.publicPort, path: "/checkout", headers: [("X-User-Id", "u")])
        let baseline = gateway.threadsAndDescriptors
        for index in 1...150 {
            try write(index)
            let reload = try await TestClient.send(port: gateway.adminPort, method: .POST, path: "/admin/reload", body: [])
            #expect(reload.status == 200)
            if index % 10 == 0 {
                let answer = try await TestClient.send(port: gateway.publicPort, path: "/checkout", headers: [("X-User-Id", "u\(index)")])
                #expect(answer.status == 200)
            }
        }
        var now = gateway.threadsAndDescriptors
        let deadline = ContinuousClock.now + .seconds(5)
        while (now.threads > baseline.threads + 2 || now.descriptors > baseline.descriptors + 6) && ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(50))
            now = gateway.threadsAndDescriptors
        }
        #expect(now.threads <= baseline.threads + 2, "threads: \(baseline.threads) before, \(now.threads) after 150 reloads")
        #expect(now.descriptors <= baseline.descriptors + 6, "descriptors: \(baseline.descriptors) before, \(now.descriptors) after")
        gateway.signal(SIGTERM)
        #expect(try await gateway.exitStatus() == 0)
        await old.shutdown()
        await new.shutdown()
    }
}
