import ArgumentParser
import Gateway

/// The `checkout-gateway` command: argument parsing only; the work lives in the libraries.
@main
struct CheckoutGateway: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "checkout-gateway",
        abstract: "A reverse proxy that rolls a new checkout out safely: flag decision, fallback to the old checkout.",
        version: GatewayVersion.current,
        subcommands: [
            Serve.self, Validate.self, Explain.self, Status.self, Kill.self, Resume.self, Promote.self, Abort.self, Reload.self, Smoke.self,
            Demo.self,
        ],
        defaultSubcommand: Serve.self
    )
}

struct ConfigOption: ParsableArguments {
    @Option(name: .long, help: "Path of gateway.yaml.")
    var config = "gateway.yaml"
}
