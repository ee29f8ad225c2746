import Foundation
import GatewayCore

/// One end-to-end purchase on each variant: through a running gateway, forced with the test
/// override so it works at any percent (the check before and after every ramp step), or straight
/// to the upstreams (`direct`), which works while the gateway is killed or rolled back — the
/// check before a resume.
public struct SmokeTest: Sendable {
    public var baseURL: String
    public var token: String
    /// Each variant's own base URL: the requests skip the gateway and its override.
    public var direct: [Variant: String]?
    public var overrideHeader = "X-Checkout-Force"
    public var pagePath = "/checkout"
    public var orderPath = "/api/checkout/orders"

    public init(baseURL: String, token: String) {
        self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        self.token = token
    }

    /// Straight to the upstreams of `config`, without the gateway.
    public init(directTo upstreams: Upstreams) {
        self.baseURL = ""
        self.token = ""
        self.direct = [.old: upstreams.old.url.prefix, .new: upstreams.new.url.prefix]
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
            let base = direct?[variant] ?? baseURL
            let headers =
                direct == nil
                ? [(overrideHeader, variant.rawValue), (FlagEvaluator.testTokenHeader, token), ("X-User-Id", "smoke-test")]
                : [("X-User-Id", "smoke-test"), ("X-Checkout-Variant", variant.rawValue)]
            steps.append(
                check(variant, "GET \(pagePath)") {
                    try SimpleHTTPClient.request(method: "GET", url: base + pagePath, headers: headers)
                })
            let order = Data("{\"items\": [{\"sku\": \"smoke-test\", \"qty\": 1}]}".utf8)
            let key = "smoke-\(variant.rawValue)-\(UInt64.random(in: 0...UInt64.max))"
            steps.append(
                check(variant, "POST \(orderPath)") {
                    try SimpleHTTPClient.request(
                        method: "POST", url: base + orderPath,
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
            let servedBy = direct != nil ? variant.rawValue : response.headers["x-checkout-variant"] ?? "nobody"
            let fallback = response.headers["x-checkout-fallback"].map { ", fallback \($0)" } ?? ""
            guard (200...299).contains(response.status) else {
                return Step(variant: variant, description: "\(what) answered \(response.status) (served by \(servedBy)\(fallback))", passed: false)
            }
            // Straight to an upstream there is no gateway to say who answered: the URL does.
            guard direct != nil || servedBy == variant.rawValue else {
                let hint =
                    variant == .new
                    ? ": new failed and old answered, or the test override is off (flag disabled, killed, rolled back, or a wrong token)" : ""
                return Step(variant: variant, description: "\(what) was served by \(servedBy), not \(variant.rawValue)\(hint)", passed: false)
            }
            return Step(variant: variant, description: "\(what) \(response.status) in \(milliseconds) ms", passed: true)
        } catch {
            return Step(variant: variant, description: "\(what) failed: \(error)", passed: false)
        }
    }
}
