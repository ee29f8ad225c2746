import Foundation
import GatewayCore

/// One end-to-end purchase through a running gateway on each variant, forced with the test
/// override so it works at any percent: the check before and after every ramp step.
public struct SmokeTest: Sendable {
    public var baseURL: String
    public var token: String
    public var overrideHeader = "X-Checkout-Force"
    public var pagePath = "/checkout"
    public var orderPath = "/api/checkout/orders"

    public init(baseURL: String, token: String) {
        self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        self.token = token
    }

    public struct Step: Sendable {
        public var variant: Variant
        public var description: String
        public var passed: Bool
    }

    /// Runs every check (old first, then new) and reports each; the smoke test passed when
    /// every step passed.
    public func run() -> [Step] {
        var steps: [Step] = []
        for variant in [Variant.old, .new] {
            let headers = [(overrideHeader, variant.rawValue), (FlagEvaluator.testTokenHeader, token), ("X-User-Id", "smoke-test")]
            steps.append(check(variant, "GET \(pagePath)") {
                try SimpleHTTPClient.request(method: "GET", url: baseURL + pagePath, headers: headers)
            })
            let order = Data("{\"items\": [{\"sku\": \"smoke-test\", \"qty\": 1}]}".utf8)
            let key = "smoke-\(variant.rawValue)-\(UInt64.random(in: 0...UInt64.max))"
            steps.append(check(variant, "POST \(orderPath)") {
                try SimpleHTTPClient.request(
                    method: "POST", url: baseURL + orderPath,
                    headers: headers + [("Content-Type", "application/json"), ("Idempotency-Key", key)], body: order
                )
            })
        }
        return steps
    }

    private func check(_ variant: Variant, _ what: String, _ send: () throws -> SimpleHTTPClient.Response) -> Step {
        let started = ContinuousClock.now
        do {
            let response = try send()
            let milliseconds = (ContinuousClock.now - started).milliseconds
            let servedBy = response.headers["x-checkout-variant"] ?? "nobody"
            let fallback = response.headers["x-checkout-fallback"].map { ", fallback \($0)" } ?? ""
            guard (200...299).contains(response.status) else {
                return Step(variant: variant, description: "\(what) answered \(response.status) (served by \(servedBy)\(fallback))", passed: false)
            }
            guard servedBy == variant.rawValue else {
                let hint = variant == .new ? ": new failed and old answered, or the test override is off (flag disabled, killed, rolled back, or a wrong token)" : ""
                return Step(variant: variant, description: "\(what) was served by \(servedBy), not \(variant.rawValue)\(hint)", passed: false)
            }
            return Step(variant: variant, description: "\(what) \(response.status) in \(milliseconds) ms", passed: true)
        } catch {
            return Step(variant: variant, description: "\(what) failed: \(error)", passed: false)
        }
    }
}
