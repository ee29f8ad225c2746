import GatewayCore
import NIOHTTP1

/// The demo checkout's content: what the old and the new checkout answer to each path.
enum DemoPages {
    static func answer(
        method: String, path: String, headers: HTTPHeaders, variant: Variant, orders: DemoOrderBook
    ) -> (HTTPResponseStatus, String, String) {
        let name = variant == .new ? "new" : "old"
        switch (method, path) {
        case ("POST", "/__demo/fail"):
            orders.isFailing = true
            return (.ok, "text/plain", "the \(name) demo checkout now answers 500 to everything but /__demo/*\n")
        case ("POST", "/__demo/recover"):
            orders.isFailing = false
            return (.ok, "text/plain", "the \(name) demo checkout works again\n")
        case ("GET", "/__demo/orders"):
            let (placed, requests) = orders.counts
            return (.ok, "application/json", "{\"orders\": \(placed), \"order_requests\": \(requests)}\n")
        case ("POST", "/__demo/webhook"):
            // A sink for `notify` in examples/rollout-controls.yaml: the demo has no chat to post to.
            return (.noContent, "text/plain", "")
        case _ where orders.isFailing:
            return (
                .internalServerError, "application/json", "{\"error\": \"the \(name) demo checkout is failing on purpose (POST /__demo/recover)\"}\n"
            )
        case ("POST", "/api/checkout/orders"):
            let key = headers.first(name: "Idempotency-Key")
            let order = orders.place(idempotencyKey: key)
            let json = "{\"order_id\": \"\(order.orderID)\", \"checkout\": \"\(name)\", \"replayed\": \(order.replayed)}\n"
            return (order.replayed ? .ok : .created, "application/json", json)
        case ("GET", "/api/checkout"), ("GET", "/api/checkout/"):
            let user = headers.first(name: "X-User-Id") ?? ""
            return (
                .ok, "application/json",
                "{\"checkout\": \"\(name)\", \"user\": \(JSONString.quote(user)), \"items\": [{\"sku\": \"tea-01\", \"qty\": 2}], \"total_cents\": 1800}\n"
            )
        case ("GET", "/checkout/favicon.svg"), ("GET", "/favicon.ico"):
            return (.ok, "image/svg+xml", DemoCheckoutPage.favicon)
        case ("GET", _) where PathPrefix.matches(path[...], prefix: "/checkout"):
            return (.ok, "text/html; charset=utf-8", DemoCheckoutPage.html(variant: variant))
        case ("GET", "/"), ("HEAD", "/"):
            return (
                .ok, "text/html; charset=utf-8",
                "<!doctype html><title>Demo shop</title><h1>Demo shop (served by the \(name) upstream)</h1><p><a href=\"/checkout\">Go to checkout</a></p>\n"
            )
        default:
            return (.notFound, "application/json", "{\"error\": \"not found\", \"checkout\": \"\(name)\"}\n")
        }
    }
}
