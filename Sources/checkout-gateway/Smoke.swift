import ArgumentParser
import Foundation
import Gateway
import GatewayCore

struct Smoke: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "One purchase through a running gateway on each variant (forced with the test override); exit 1 when any step fails."
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

    func run() throws {
        guard let token = token ?? ProcessInfo.processInfo.environment[tokenEnv], !token.isEmpty else {
            throw ValidationError("no test-override token: pass --token or set \(tokenEnv)")
        }
        var smoke = SmokeTest(baseURL: url, token: token)
        smoke.overrideHeader = header
        smoke.pagePath = page
        smoke.orderPath = order
        let steps = smoke.run()
        for step in steps {
            print("\(step.passed ? "ok  " : "FAIL") \(step.variant.rawValue): \(step.description)")
        }
        let failed = steps.filter { !$0.passed }.count
        if failed > 0 {
            print("smoke test FAILED: \(failed) of \(steps.count) steps")
            throw ExitCode(1)
        }
        print("smoke test passed: \(steps.count) steps on old and new")
    }
}
