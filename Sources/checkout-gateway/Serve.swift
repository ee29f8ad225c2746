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

    @Option(
        help:
            "Worker threads of the public listener (default: one per core). Each owns its listening socket, its connections and its upstream connections."
    )
    var workers: Int?

    func validate() throws {
        if let workers, !(1...256).contains(workers) { throw ValidationError("--workers must be between 1 and 256") }
    }

    func run() async throws {
        LoggingSetup.bootstrap()
        let gateway = try await ConfigFile.startOrExit(options.config, workers: workers)
        try await GatewayService.runUntilTerminated(
            gateway, pollInterval: .milliseconds(Int64(pollInterval * 1000)), shutdownGrace: .seconds(shutdownGrace)
        )
        LoggingSetup.flush()
    }
}
