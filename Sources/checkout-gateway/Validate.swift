import ArgumentParser
import GatewayCore

struct Validate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check a config file: exit 0 with a summary, or exit 1 with every error as file:line:col."
    )

    @OptionGroup var options: ConfigOption

    func run() throws {
        let config = try ConfigFile.loadOrExit(options.config)
        let flag = config.flag
        let state = flag.enabled ? "enabled at \(flag.percent)%" : "disabled"
        let schedule = config.schedule.map { ", schedule of \($0.steps.count) steps" } ?? ""
        let store =
            config.etcd.map { "rollout state in etcd (\($0.endpoints.count) endpoint\($0.endpoints.count == 1 ? "" : "s"))" }
            ?? "rollout state in \(config.stateFile)"
        print(
            "\(options.config): ok: flag \(flag.key) \(state), \(config.routes.count) routes, \(flag.targeting.count) targeting rules\(schedule); old \(config.upstreams.old.url), new \(config.upstreams.new.url); \(store)"
        )
    }
}
