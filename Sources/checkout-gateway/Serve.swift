import ArgumentParser
import Gateway
import GatewayCore
import Logging

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the gateway (the default command).")

    @OptionGroup var options: ConfigOption

    func run() async throws {
        LoggingSetup.bootstrap()
        let config = try ConfigFile.loadOrExit(options.config)
        let gateway = try await GatewayServer.start(config: config)
        try await SignalWaiter.waitForTermination()
        try await gateway.shutdown()
    }
}
