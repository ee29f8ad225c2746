import Foundation
import GatewayCore
import NIOHTTP1
import Testing

/// The demo checkout page in a real headless Chromium, through the real `checkout-gateway demo`:
/// a double click on "Place order" places exactly one order, and when both checkouts fail the
/// shopper gets a friendly message and a retry that reuses the order's key.
extension BrowserTests {
    @Suite("Demo checkout in a browser")
    struct DemoBrowserTests {
        private func orders(_ port: Int) async throws -> (orders: Int, requests: Int) {
            let answer = try await TestClient.send(port: port, path: "/__demo/orders")
            let json = try JSONSerialization.jsonObject(with: Data(answer.body)) as? [String: Int] ?? [:]
            return (json["orders"] ?? -1, json["order_requests"] ?? -1)
        }

        @Test func aDoubleClickPlacesOneOrderAndAFailureIsExplained() async throws {
            let (oldPort, newPort) = (try FreePort.find(), try FreePort.find())
            let config = TemporaryFiles.path("demo.yaml")
            try """
            version: 1
            listen: 127.0.0.1:0
            admin: { listen: 127.0.0.1:0 }
            upstreams:
              old: { url: "http://127.0.0.1:\(oldPort)" }
              new: { url: "http://127.0.0.1:\(newPort)" }
            routes:
              - path_prefix: /checkout
              - path_prefix: /api/checkout
            flag: { key: new-checkout, enabled: true, percent: 100 }
            state_file: \(TemporaryFiles.path("demo-state.json"))
            """.write(toFile: config, atomically: true, encoding: .utf8)
            let demo = try await GatewayProcess.launch(arguments: ["demo", "--config", config])
            defer {
                demo.signal(SIGKILL)
                demo.process.waitUntilExit()
            }
            let browser = try await Browser.start(width: 1280, height: 900)
            do {
                try await browser.open("http://127.0.0.1:\(demo.publicPort)/checkout")
                let badge = try await browser.text("#variant-badge")
                #expect(badge == "new checkout", "badge: \(badge)")
                #expect(try await browser.text("#basket").contains("£47.40"))

                // Two clicks in the same instant: the button is disabled by the first, one POST.
                let disabled = try await browser.evaluate(
                    "const b = document.getElementById('place'); b.click(); b.click(); return b.disabled;")
                #expect(disabled as? Bool == true, "disabled while the order is in flight")
                try await browser.waitUntil("the confirmation", "return document.getElementById('message').className === 'ok';")
                #expect(try await browser.text("#message").contains("new-1"))
                let placed = try await orders(newPort)
                let said = try await browser.text("#message")
                #expect(placed == (1, 1), "\(placed) \(said)")
                #expect(try await orders(oldPort) == (0, 0))
                let clean = try await browser.consoleMessages().filter { $0.hasPrefix("SEVERE") }
                #expect(clean.isEmpty, "console errors: \(clean)")

                // Both checkouts fail: a friendly message, the button back, the order's key kept.
                try await browser.open("http://127.0.0.1:\(demo.publicPort)/checkout")
                for port in [oldPort, newPort] {
                    #expect(try await TestClient.send(port: port, method: .POST, path: "/__demo/fail", body: []).status == 200)
                }
                try await browser.click("#place")
                try await browser.waitUntil("the failure message", "return document.getElementById('message').className === 'error';")
                #expect(try await browser.text("#message").contains("could not place your order just now. Nothing was charged"))
                #expect(try await browser.evaluate("return document.getElementById('place').disabled;") as? Bool == false)
                let key = try await browser.evaluate("return sessionStorage.getItem('order-key');") as? String
                #expect(key != nil, "the failed order's key is kept for the retry")
                try await browser.screenshot("demo-order-failed")

                // The shop recovers; the retry places the order once.
                for port in [oldPort, newPort] {
                    #expect(try await TestClient.send(port: port, method: .POST, path: "/__demo/recover", body: []).status == 200)
                }
                try await browser.click("#place")
                try await browser.waitUntil("the confirmation", "return document.getElementById('message').className === 'ok';")
                #expect(try await browser.evaluate("return sessionStorage.getItem('order-key');") as? String == nil, "the placed order's key is gone")
                #expect(try await orders(newPort).orders == 2)
                #expect(try await orders(oldPort).orders == 0)
                try await browser.screenshot("demo-order-placed")
                let errors = try await browser.consoleMessages().filter {
                    $0.hasPrefix("SEVERE") && !$0.contains("/api/checkout/orders - Failed to load resource: the server responded with a status of 5")
                }
                #expect(errors.isEmpty, "console errors: \(errors)")
            } catch {
                await browser.stop()
                throw error
            }
            await browser.stop()
        }
    }
}
