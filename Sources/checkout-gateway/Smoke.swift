import ArgumentParser
import Foundation
import Gateway
import GatewayCore

struct Smoke: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract:
            "One purchase on each variant, through a running gateway (forced with the test override) or, with --direct, straight to the upstreams of --config; exit 1 when any step fails."
    )

    @Option(help: "The gateway's public base URL.")
    var url = "http://127.0.0.1:8080"

    @Option(help: "The test-override token; default: the variable named by --token-env.")
    var token: String?

    @Option(help: "The environment variable holding the token (flag.test_override.token_env).")
    var tokenEnv = "GATEWAY_TEST_TOKEN"

    @Option(help: "The override header (flag.test_override.header).")
    var header = "X-Checkout-Force"

    @Option(help: "The checkout page to GET.")
    var page = "/checkout"

    @Option(help: "The order endpoint to POST (with an Idempotency-Key).")
    var order = "/api/checkout/orders"

    @Flag(help: "Skip the gateway: buy straight from the upstream URLs of --config (works while the flag is killed or rolled back).")
    var direct = false

    @Option(help: "The gateway.yaml whose upstreams --direct uses.")
    var config = "gateway.yaml"

    @Flag(help: "Record the outcome on the running schedule step (POST /admin/smoke to --admin), shown next to an approval.")
    var report = false

    @Option(help: "With --report: the admin listener's base URL.")
    var admin = "http://127.0.0.1:9901"

    @Option(help: "With --report: the environment variable holding the admin token (admin.token_env).")
    var adminTokenEnv = "GATEWAY_ADMIN_TOKEN"

    func run() throws {
        var smoke: SmokeTest
        if direct {
            smoke = SmokeTest(directTo: try ConfigFile.loadOrExit(config).upstreams)
        } else {
            guard let token = token ?? ProcessInfo.processInfo.environment[tokenEnv], !token.isEmpty else {
                throw ValidationError("no test-override token: pass --token or set \(tokenEnv)")
            }
            smoke = SmokeTest(baseURL: url, token: token)
        }
        smoke.overrideHeader = header
        smoke.pagePath = page
        smoke.orderPath = order
        let steps = smoke.run()
        for step in steps {
            print("\(step.passed ? "ok  " : "FAIL") \(step.variant.rawValue): \(step.description)")
        }
        let failed = steps.filter { !$0.passed }.count
        let summary =
            failed > 0
            ? "smoke test FAILED: \(failed) of \(steps.count) steps"
            : "smoke test passed: \(steps.count) steps on old and new\(direct ? ", straight to the upstreams" : "")"
        print(summary)
        if report {
            let firstFailure = steps.first { !$0.passed }.map { "; first: \($0.variant.rawValue): \($0.description)" } ?? ""
            let body = try JSONEncoder().encode(SmokeReport(passed: failed == 0, summary: summary + firstFailure))
            try AdminOptions.parse(["--admin", admin, "--token-env", adminTokenEnv]).post("smoke", body: body)
        }
        if failed > 0 { throw ExitCode(1) }
    }
}
