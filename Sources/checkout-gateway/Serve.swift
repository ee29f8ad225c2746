import ArgumentParser
import Gateway
import GatewayCore
import Logging

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the gateway (the default command).")

    @OptionGroup var options: ConfigOption

    @Option(help: "Seconds that in-flight requests get to finish after SIGTERM or SIGINT.")
    var shutdownGrace = 30

    @Option(help: "Seconds between checks of the config file for changes (SIGHUP reloads at once).")
    var pollInterval = 1.0

    @Option(help: "Event-loop threads for client connections (default: one per core). Each upstream adds one libcurl thread.")
    var workers: Int?

    func run() async throws {
        LoggingSetup.bootstrap()
        let gateway = try await ConfigFile.startOrExit(options.config, eventLoopThreads: workers)
        try await GatewayService.runUntilTerminated(
            gateway, pollInterval: .milliseconds(Int64(pollInterval * 1000)), shutdownGrace: .seconds(shutdownGrace)
        )
        LoggingSetup.flush()
    }
}
