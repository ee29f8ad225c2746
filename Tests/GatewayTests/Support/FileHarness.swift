import Foundation
import Gateway
import GatewayCore
import Logging
import NIOHTTP1
import NIOPosix
import ServiceLifecycle

/// A gateway serving a real `gateway.yaml` on disk, run by `GatewayService` (file polling every
/// and ramp supervision every 50 ms) inside a service group, as `serve` runs it.
struct FileHarness {
    let old: TestUpstream
    let new: TestUpstream
    let gateway: GatewayServer
    let configPath: String
    var port: Int { gateway.publicPort }
    var adminPort: Int { gateway.adminPort }

    static func yaml(
        old: TestUpstream, new: TestUpstream, percent: Int, enabled: Bool = true, stateFile: String, extra: String = "",
        adminHost: String = "127.0.0.1", newTimeout: String = "5s", accessLog: Bool = false
    ) -> String {
        """
        version: 1
        listen: 127.0.0.1:0
        admin:
          listen: \(adminHost):0
        upstreams:
          old:
            url: \(old.url)
          new:
            url: \(new.url)
            timeout: \(newTimeout)
        routes:
          - path_prefix: /checkout
        flag:
          key: new-checkout
          enabled: \(enabled)
          percent: \(percent)
        state_file: \(stateFile)
        access_log: \(accessLog)
        \(extra)
        """
    }

    static func with<T: Sendable>(
        percent: Int = 0,
        stateFile: String = TemporaryFiles.path("state.json"),
        configPath: String = TemporaryFiles.path("gateway.yaml"),
        environment: [String: String] = [:],
        adminHost: String = "127.0.0.1",
        extra: String = "",
        placeConfig: (@Sendable (String) throws -> Void)? = nil,
        _ body: @Sendable (FileHarness) async throws -> T
    ) async throws -> T {
        let old = try await TestUpstream.start("old")
        let new = try await TestUpstream.start("new")
        do {
            let text = yaml(old: old, new: new, percent: percent, stateFile: stateFile, extra: extra, adminHost: adminHost)
            if let placeConfig {
                try placeConfig(text)
            } else {
                try text.write(toFile: configPath, atomically: true, encoding: .utf8)
            }
            let result = try await run(old: old, new: new, configPath: configPath, environment: environment, body)
            await old.shutdown()
            await new.shutdown()
            return result
        } catch {
            await old.shutdown()
            await new.shutdown()
            throw error
        }
    }

    private static func run<T: Sendable>(
        old: TestUpstream, new: TestUpstream, configPath: String, environment: [String: String],
        _ body: @Sendable (FileHarness) async throws -> T
    ) async throws -> T {
        var logger = Logger(label: "test-gateway")
        logger.logLevel = .critical
        let gateway = try await GatewayServer.start(
            configPath: configPath, environment: environment, logger: logger, group: MultiThreadedEventLoopGroup.singleton
        )
        let harness = FileHarness(old: old, new: new, gateway: gateway, configPath: configPath)
        let service = GatewayService(gateway: gateway, pollInterval: .milliseconds(50), rampInterval: .milliseconds(50), shutdownGrace: .seconds(1))
        let group = ServiceGroup(services: [service], logger: logger)
        return try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            do {
                let result = try await body(harness)
                await group.triggerGracefulShutdown()
                try await tasks.waitForAll()
                return result
            } catch {
                await group.triggerGracefulShutdown()
                try? await tasks.waitForAll()
                throw error
            }
        }
    }

    /// Writes a new config the way an editor does: a new file renamed over the old one.
    func rewrite(percent: Int, enabled: Bool = true, extra: String = "", stateFile: String) throws {
        try Self.yaml(old: old, new: new, percent: percent, enabled: enabled, stateFile: stateFile, extra: extra)
            .write(toFile: configPath, atomically: true, encoding: .utf8)
    }

    func status() async throws -> [String: Any] {
        let response = try await TestClient.send(port: adminPort, path: "/status")
        return try JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any] ?? [:]
    }

    func admin(_ path: String, headers: [(String, String)] = []) async throws -> TestResponse {
        try await TestClient.send(port: adminPort, method: .POST, path: path, headers: headers, body: [])
    }

    /// Polls `/status` until `condition` holds (the watcher runs every 50 ms); fails after 5 s.
    func waitForStatus(_ what: String, _ condition: ([String: Any]) -> Bool) async throws {
        let deadline = ContinuousClock.now + .seconds(5)
        while ContinuousClock.now < deadline {
            if condition(try await status()) { return }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw WaitTimeout(what: what)
    }
}

struct WaitTimeout: Error, CustomStringConvertible {
    var what: String
    var description: String { "timed out waiting for \(what)" }
}

extension Dictionary where Key == String, Value == Any {
    subscript(path path: String) -> Any? {
        var current: Any? = self
        for part in path.split(separator: ".") {
            current = (current as? [String: Any])?[String(part)]
        }
        return current
    }
}
