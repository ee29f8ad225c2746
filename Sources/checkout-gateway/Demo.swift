import ArgumentParser
import Foundation
import Gateway
import GatewayCore
import Logging
import NIOPosix

struct Demo: AsyncParsableCommand {
    /// The test-override token the demo uses when none is set, so `smoke` works out of the box.
    static let demoToken = "demo-token"

    static let configuration = CommandConfiguration(
        abstract: "Serve gateway.yaml together with two built-in demo checkouts on the upstream ports it names."
    )

    @OptionGroup var options: ConfigOption

    @Flag(help: "Keep the state file of an earlier demo run (its kill, rollback latch and schedule step).")
    var keepState = false

    func run() async throws {
        LoggingSetup.bootstrap()
        let config = try ConfigFile.loadOrExit(options.config)
        // A demo starts fresh, so a guarded ramp can be replayed; a fleet demo keeps its state in etcd.
        if config.etcd == nil && !keepState && FileManager.default.fileExists(atPath: config.stateFile) {
            try? FileManager.default.removeItem(atPath: config.stateFile)
        }
        let group = MultiThreadedEventLoopGroup.singleton
        let old: DemoCheckoutServer
        let new: DemoCheckoutServer
        do {
            old = try await DemoCheckoutServer.start(
                variant: .old, host: config.upstreams.old.url.host, port: config.upstreams.old.url.port, group: group)
            new = try await DemoCheckoutServer.start(
                variant: .new, host: config.upstreams.new.url.host, port: config.upstreams.new.url.port, group: group)
        } catch let error as ListenError {
            ConfigFile.fail(error.description)
        }
        var environment = ProcessInfo.processInfo.environment
        if environment[config.flag.testOverride?.tokenEnv ?? "GATEWAY_TEST_TOKEN", default: ""].isEmpty {
            environment[config.flag.testOverride?.tokenEnv ?? "GATEWAY_TEST_TOKEN"] = Self.demoToken
        }
        let gateway = try await ConfigFile.startOrExit(options.config, environment: environment)
        print(Self.banner(config: config, configPath: options.config, gateway: gateway, keptState: keepState))
        // stdout may be a file or a pipe (block-buffered): the banner must show now, not at exit.
        fflush(nil)
        try await GatewayService.runUntilTerminated(gateway, pollInterval: .seconds(1), shutdownGrace: .seconds(5))
        await old.shutdown()
        await new.shutdown()
        LoggingSetup.flush()
    }

    /// What to try, from the config actually loaded, with commands that work from a clone (the
    /// binary's own path: nothing is on PATH after `swift build`).
    static func banner(config: GatewayConfig, configPath: String, gateway: GatewayServer, keptState: Bool) -> String {
        let binary =
            CommandLine.arguments[0].contains("/")
            ? CommandLine.arguments[0] : "checkout-gateway"
        let base = "http://127.0.0.1:\(gateway.publicPort)"
        let admin = "http://127.0.0.1:\(gateway.adminPort)"
        let flag = config.flag
        let ramp = config.schedule.map { "a schedule of \($0.steps.count) steps" } ?? "\(flag.percent)%"
        var lines = [
            "",
            "checkout-gateway demo",
            "  old checkout (demo) on \(config.upstreams.old.url), new checkout (demo) on \(config.upstreams.new.url)",
            "  gateway on \(base): flag '\(flag.key)' \(flag.enabled ? "enabled at \(ramp)" : "disabled")\(keptState ? " (state of the last run kept)" : "")",
            "",
            "  open \(base)/checkout in a browser, or try:",
            "    curl -si \(base)/api/checkout -H 'X-User-Id: alice'",
            "    curl -si \(base)/api/checkout -H 'X-User-Id: bob'",
        ]
        if let rule = flag.targeting.first(where: { $0.users?.isEmpty == false }), let user = rule.users?.sorted().first {
            lines.append("    curl -si \(base)/api/checkout -H 'X-User-Id: \(user)'     (targeted: always \(rule.variant.rawValue))")
        }
        lines += [
            "    \(binary) explain --config \(configPath) --user alice",
            "",
            "  smoke test of both checkouts:  \(binary) smoke --url \(base) --token \(demoToken)",
            "  make the new checkout fail:    curl -X POST \(config.upstreams.new.url)/__demo/fail   (and /__demo/recover)",
            "  edit \(configPath) to change the ramp (reloaded within a second);",
            "  admin on \(admin): /status /metrics, POST /admin/kill /admin/resume",
            "  \(binary) status --admin \(admin); Ctrl-C stops.",
            "",
        ]
        return lines.joined(separator: "\n")
    }
}
