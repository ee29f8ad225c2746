import ArgumentParser
import Foundation
import Gateway
import GatewayCore

struct Explain: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print the variant, reason and bucket the gateway gives a user, exactly as it would decide."
    )

    @OptionGroup var options: ConfigOption

    @Option(help: "The user's identity (what the first identity source would carry).")
    var user: String

    @Option(name: .customLong("header"), help: "A request header \"Name: value\"; repeatable.")
    var headers: [String] = []

    @Option(help: "The request path; when it matches no route the flag does not decide.")
    var path: String?

    @Option(help: "The request method, for routes that name methods.")
    var method = "GET"

    func run() throws {
        let config = try ConfigFile.loadOrExit(options.config)
        var parsed: [(String, String)] = []
        for header in headers {
            guard let colon = header.firstIndex(of: ":") else {
                throw ValidationError("--header must look like \"Name: value\", got \(header)")
            }
            parsed.append((String(header[..<colon]), header[header.index(after: colon)...].trimmingCharacters(in: .whitespaces)))
        }
        let environment = ProcessInfo.processInfo.environment
        // The kill switch, latch and schedule step the running gateway has (from its state file).
        let state = OfflineFlagState.load(config: config)
        let explanation = Explanation(
            config: config, identity: user, headers: parsed, path: path, method: method, state: state,
            overrideToken: config.flag.testOverride.flatMap { environment[$0.tokenEnv] }
        )
        guard let decision = explanation.decision else {
            print("variant: old\nreason: no route matches \(method) \(path ?? "/"); the flag does not decide it")
            return
        }
        print(
            """
            variant: \(decision.variant.rawValue)
            reason: \(decision.reason.rawValue) (\(decision.ofrepReason(percent: explanation.effectivePercent)))
            bucket: \(decision.bucket) (new when the flag is on and bucket <= percent; percent is \(explanation.effectivePercent)\(config.schedule == nil ? "" : ", from the schedule"))
            flag: \(config.flag.key) (group \(config.flag.groupID)), \(config.flag.enabled ? "enabled" : "disabled")\(state.killed ? ", KILLED" : "")\(state.latched ? ", ROLLED BACK (latched)" : "")
            """)
    }
}
