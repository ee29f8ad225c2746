import ArgumentParser
import Gateway
import GatewayCore
import Logging

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the gateway (the default command).")

    @OptionGroup var options: ConfigOption

    @Option(help: "Seconds that in-flight requests get to finish after SIGTERM or SIGINT.")
    var shutdownGrace = 30

    func run() async throws {
        LoggingSetup.bootstrap()
        let gateway = try await ConfigFile.startOrExit(options.config)
        try await GatewayService.runUntilTerminated(gateway, shutdownGrace: .seconds(shutdownGrace))
    }
}
