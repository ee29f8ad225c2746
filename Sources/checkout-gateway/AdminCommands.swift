import ArgumentParser
import Foundation
import Gateway

/// Options shared by the commands that change a running gateway through its admin listener.
struct AdminOptions: ParsableArguments {
    @Option(help: "The admin listener's base URL.")
    var admin = "http://127.0.0.1:9901"

    @Option(help: "The environment variable holding the admin token (admin.token_env).")
    var tokenEnv = "GATEWAY_ADMIN_TOKEN"

    /// POSTs to `/admin/<operation>` and prints the short status summary of the answer.
    func post(_ operation: String, body: Data = Data()) throws {
        var headers: [(String, String)] = []
        if let token = ProcessInfo.processInfo.environment[tokenEnv], !token.isEmpty {
            headers.append(("Authorization", "Bearer \(token)"))
        }
        let url = (admin.hasSuffix("/") ? String(admin.dropLast()) : admin) + "/admin/\(operation)"
        let response: SimpleHTTPClient.Response
        do {
            response = try SimpleHTTPClient.request(method: "POST", url: url, headers: headers, body: body)
        } catch {
            Self.fail("cannot reach the admin listener at \(admin): \(error) (is the gateway running? is --admin right?)")
        }
        guard response.status == 200 else {
            let detail = String(decoding: response.body, as: UTF8.self)
            switch response.status {
            case 401: Self.fail("\(operation) refused (401): set \(tokenEnv) to the gateway's admin token")
            case 403: Self.fail("\(operation) refused (403): without a token only loopback peers may change the gateway; set \(tokenEnv)")
            case 409: Self.fail("\(operation) refused: \(AdminOptions.errorText(response.body) ?? detail)")
            default: Self.fail("\(url) answered \(response.status): \(detail)")
            }
        }
        print(StatusSummary.render(try StatusReport.decode(response.body)))
    }

    /// The `error` field of an admin answer's JSON body.
    static func errorText(_ body: Data) -> String? {
        (try? JSONSerialization.jsonObject(with: body) as? [String: Any])?["error"] as? String
    }

    static func fail(_ message: String) -> Never {
        ConfigFile.fail(message)
    }
}

struct Kill: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Kill switch on: every request of this gateway goes to old, at once.")
    @OptionGroup var options: AdminOptions
    func run() throws { try options.post("kill") }
}

struct Resume: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Kill switch off and guardrail rollback latch cleared.")
    @OptionGroup var options: AdminOptions
    func run() throws { try options.post("resume") }
}

struct Promote: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Approve leaving the schedule step that waits for approval (approve: true); the ramp moves on at once.")
    @OptionGroup var options: AdminOptions
    func run() throws { try options.post("promote") }
}

struct Abort: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Stop the rollout: everyone old (rollback latch, reason aborted) until `resume`.")
    @OptionGroup var options: AdminOptions
    func run() throws { try options.post("abort") }
}

struct Reload: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Re-read gateway.yaml now (the same as SIGHUP).")
    @OptionGroup var options: AdminOptions
    func run() throws { try options.post("reload") }
}
