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
        case ("GET", _) where PathPrefix.matches(path[...], prefix: "/checkout"):
            return (.ok, "text/html; charset=utf-8", page(variant: variant))
        case ("GET", "/"), ("HEAD", "/"):
            return (
                .ok, "text/html; charset=utf-8",
                "<!doctype html><title>Demo shop</title><h1>Demo shop (served by the \(name) upstream)</h1><p><a href=\"/checkout\">Go to checkout</a></p>\n"
            )
        default:
            return (.notFound, "application/json", "{\"error\": \"not found\", \"checkout\": \"\(name)\"}\n")
        }
    }

    private static func page(variant: Variant) -> String {
        let isNew = variant == .new
        let title = isNew ? "New checkout" : "Old checkout"
        let color = isNew ? "#0a7d38" : "#555555"
        return """
            <!doctype html>
            <html><head><meta charset="utf-8"><title>\(title)</title>
            <style>body{font-family:sans-serif;margin:3em} h1{color:\(color)} button{font-size:1.2em}</style></head>
            <body>
            <h1>\(title)</h1>
            <p>This page was served by the <strong>\(variant.rawValue)</strong> checkout upstream.</p>
            <p>Basket: 2 × tea, 18.00</p>
            <button id="pay">Place order</button>
            <pre id="result"></pre>
            <script>
            document.getElementById('pay').onclick = async () => {
              const key = (crypto.randomUUID ? crypto.randomUUID() : String(Date.now()) + Math.random());
              const response = await fetch('/api/checkout/orders', {
                method: 'POST',
                headers: {'Content-Type': 'application/json', 'Idempotency-Key': key},
                body: JSON.stringify({items: [{sku: 'tea-01', qty: 2}]})
              });
              const text = await response.text();
              document.getElementById('result').textContent =
                response.status + ' from the ' + response.headers.get('X-Checkout-Variant') + ' checkout\\n' + text;
            };
            </script>
            </body></html>

            """
    }
}
