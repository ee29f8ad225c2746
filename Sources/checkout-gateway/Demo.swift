import ArgumentParser
import Gateway
import GatewayCore
import Logging
import Foundation
import NIOPosix

struct Demo: AsyncParsableCommand {
    /// The test-override token the demo uses when none is set, so `smoke` works out of the box.
    static let demoToken = "demo-token"

    static let configuration = CommandConfiguration(
        abstract: "Serve gateway.yaml together with two built-in demo checkouts on the upstream ports it names."
    )

    @OptionGroup var options: ConfigOption

    func run() async throws {
        LoggingSetup.bootstrap()
        let config = try ConfigFile.loadOrExit(options.config)
        let group = MultiThreadedEventLoopGroup.singleton
        let old = try await DemoCheckoutServer.start(variant: .old, host: config.upstreams.old.url.host, port: config.upstreams.old.url.port, group: group)
        let new = try await DemoCheckoutServer.start(variant: .new, host: config.upstreams.new.url.host, port: config.upstreams.new.url.port, group: group)
        var environment = ProcessInfo.processInfo.environment
        if environment[config.flag.testOverride?.tokenEnv ?? "GATEWAY_TEST_TOKEN", default: ""].isEmpty {
            environment[config.flag.testOverride?.tokenEnv ?? "GATEWAY_TEST_TOKEN"] = Self.demoToken
        }
        let gateway = try await ConfigFile.startOrExit(options.config, environment: environment)
        let base = "http://127.0.0.1:\(gateway.publicPort)"
        print("""

        checkout-gateway demo
          old checkout (demo) on \(config.upstreams.old.url), new checkout (demo) on \(config.upstreams.new.url)
          gateway on \(base): flag '\(config.flag.key)' \(config.flag.enabled ? "enabled at \(config.flag.percent)%" : "disabled")

          open \(base)/checkout in a browser, or try:
            curl -si \(base)/api/checkout -H 'X-User-Id: alice'
            curl -si \(base)/api/checkout -H 'X-User-Id: bob'
            curl -si \(base)/api/checkout -H 'X-User-Id: qa-alice'     (targeted: always new)
            checkout-gateway explain --config \(options.config) --user alice

          smoke test of both checkouts:  checkout-gateway smoke --url \(base) --token \(Self.demoToken)
          make the new checkout fail:    curl -X POST \(config.upstreams.new.url)/__demo/fail   (and /__demo/recover)
          edit \(options.config) to change the ramp (reloaded within a second);
          admin on http://127.0.0.1:\(gateway.adminPort): /status /metrics, POST /admin/kill /admin/resume
          checkout-gateway status --admin http://127.0.0.1:\(gateway.adminPort); Ctrl-C stops.

        """)
        try await GatewayService.runUntilTerminated(gateway, pollInterval: .seconds(1), shutdownGrace: .seconds(5))
        await old.shutdown()
        await new.shutdown()
        LoggingSetup.flush()
    }
}
