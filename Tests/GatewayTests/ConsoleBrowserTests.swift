import Foundation
import GatewayCore
import NIOHTTP1
import Testing

/// The console on the admin listener in a real headless Chromium, against a running gateway
/// with real upstreams: it loads without console errors, shows the rollout's state, its charts
/// move when traffic flows, and the kill button (with the admin token, after a confirmation)
/// sends everyone to old and the page says so. Screenshots: `.build/test-artifacts/`.
/// The tests that drive a headless Chromium, one browser at a time: each takes most of a core
/// while it renders, and the timing-sensitive tests around them should keep theirs.
@Suite("Pages in a browser", .serialized, .timeLimit(.minutes(3)))
struct BrowserTests {}

extension BrowserTests {
    @Suite("Console in a browser")
    struct ConsoleBrowserTests {
        static let token = "console-test-token"
        static let rollout = """
            schedule:
              start: 2020-01-01T00:00:00Z
              steps:
                - { percent: 50, hold: 1s, approve: true }
                - { percent: 100 }
            guardrails:
              window: 30s
              min_requests: 5
              max_p99_ratio: 1000
              conversion:
                start: { path_prefix: /checkout, method: GET }
                done: { path_prefix: /checkout/orders, method: POST }
            """

        private func stateIs(_ state: String) -> String {
            "return document.getElementById('state-line').dataset.state === '\(state)';"
        }

        /// No console errors but `expected` (Chromium logs every refused fetch, e.g. the 401 of a
        /// kill without the token that the test asks for).
        private func noErrors(_ browser: Browser, except expected: String? = nil) async throws {
            let errors = try await browser.consoleMessages().filter { message in
                (message.hasPrefix("SEVERE") || message.hasPrefix("ERROR")) && !(expected.map { message.contains($0) } ?? false)
            }
            #expect(errors.isEmpty, "console errors: \(errors)")
        }

        /// Waits until the window's newest slot is empty: the traffic after it lands in a new slot.
        private func nextSlot(_ h: FileHarness) async throws {
            let deadline = ContinuousClock.now + .seconds(5)
            while ContinuousClock.now < deadline {
                let series = try await TestClient.send(port: h.adminPort, path: "/ui/series")
                let json = try JSONSerialization.jsonObject(with: Data(series.body)) as? [String: Any] ?? [:]
                if let new = json["new"] as? [[String: Any]], new.last?["requests"] as? Int == 0 { return }
                try await Task.sleep(for: .milliseconds(20))
            }
            throw WaitTimeout(what: "a new slot of the window")
        }

        /// Shoppers on both checkouts, some of whom order (each order with its own key).
        private func traffic(_ h: FileHarness, shoppers: Range<Int>) async throws {
            for index in shoppers {
                let user = "shopper-\(index)"
                _ = try await TestClient.send(port: h.port, path: "/checkout", headers: [("X-User-Id", user)])
                if index % 3 == 0 {
                    _ = try await TestClient.send(
                        port: h.port, method: .POST, path: "/checkout/orders", headers: [("X-User-Id", user), ("Idempotency-Key", "order-\(index)")],
                        body: [1])
                }
            }
        }

        @Test func theConsoleShowsTheRolloutAndKillsWithTheToken() async throws {
            let browser = try await Browser.start(width: 1280, height: 800)
            try await FileHarness.with(percent: 0, environment: ["GATEWAY_ADMIN_TOKEN": Self.token], extra: Self.rollout) { h async throws in
                try await browser.open("http://127.0.0.1:\(h.adminPort)/")
                try await browser.waitUntil("the state line", stateIs("enabled"))
                #expect(try await browser.text("#state-line").contains("50% of shoppers get new"))
                #expect(try await browser.text("#timeline").contains("Step 1: 50% · hold 1 s · approval"))
                #expect(try await browser.evaluate("return document.getElementById('charts').dataset.newRequests;") as? String == "0")

                // Traffic: the charts move, and the guardrails' go makes the gate wait for approval.
                // In rounds, each in a slot of its own, so the charts draw lines rather than a dot.
                for round in 0..<4 {
                    try await traffic(h, shoppers: (round * 10)..<(round * 10 + 10))
                    try await nextSlot(h)
                }
                try await browser.waitUntil(
                    "the charts to count both checkouts' traffic",
                    "const c = document.getElementById('charts').dataset; return Number(c.newRequests) > 0 && Number(c.oldRequests) > 0;")
                #expect(try await browser.evaluate("return document.querySelectorAll('#chart-rps polyline').length;") as? Int == 2)
                try await browser.waitUntil("the approval gate", stateIs("waiting"))
                #expect(try await browser.evaluate("return document.getElementById('promote').disabled;") as? Bool == false)
                try await traffic(h, shoppers: 40..<60)
                try await browser.waitUntil(
                    "the conversion chart", "return document.querySelector('#chart-conversion figcaption').textContent.includes('%');")
                try await noErrors(browser)
                try await browser.screenshot("console-1280x800")
                // The whole page at the same width: the README's picture (scripts/console-screenshot).
                try await browser.resize(width: 1280, height: 1500)
                try await browser.waitUntil("the taller window", "return window.innerHeight > 1000;")
                try await browser.screenshot("console-full")
                try await browser.resize(width: 1280, height: 800)

                // Kill without the token: refused, and the page says what to do.
                try await browser.click("#kill")
                try await browser.waitUntil("the confirmation", "return document.getElementById('confirm').open;")
                try await browser.click("#confirm-cancel")
                try await browser.waitUntil("the cancel", "return document.getElementById('action-result').textContent.includes('cancelled');")
                try await browser.click("#kill")
                try await browser.waitUntil("the confirmation", "return document.getElementById('confirm').open;")
                try await browser.click("#confirm-ok")
                try await browser.waitUntil(
                    "the refusal", "return document.getElementById('action-result').textContent.includes('needs its admin token');")
                #expect(try await h.status()[path: "flag.killed"] as? Bool == false)

                // With the token: everyone to old, and the page says so.
                try await browser.type(Self.token, into: "#token")
                try await browser.click("#kill")
                try await browser.waitUntil("the confirmation", "return document.getElementById('confirm').open;")
                try await browser.click("#confirm-ok")
                try await browser.waitUntil("the killed state", stateIs("killed"))
                #expect(try await browser.text("#state-line").contains("KILLED by token"))
                #expect(try await h.status()[path: "flag.killed"] as? Bool == true)
                for index in 0..<10 {
                    let answer = try await TestClient.send(port: h.port, path: "/checkout", headers: [("X-User-Id", "shopper-\(index)")])
                    #expect(answer.header("X-Checkout-Variant") == "old")
                }
                try await browser.waitUntil("the audit trail", "return document.querySelector('#events li[data-event=kill]') !== null;")
                #expect(try await browser.evaluate("return document.getElementById('resume').disabled;") as? Bool == false)

                // A phone's width: one column, nothing wider than the screen.
                try await browser.resize(width: 390, height: 844)
                try await browser.waitUntil(
                    "the page to fit a phone", "return document.documentElement.scrollWidth <= window.innerWidth + 1 && window.innerWidth < 500;")
                try await browser.screenshot("console-phone")
                try await noErrors(browser, except: "/admin/kill - Failed to load resource: the server responded with a status of 401")
            }
            await browser.stop()
        }

        @Test func theConsoleIsServedFromTheBinaryWithAStrictPolicy() async throws {
            try await FileHarness.with(percent: 0) { h async throws in
                let page = try await TestClient.send(port: h.adminPort, path: "/")
                #expect(page.status == 200)
                #expect(page.header("Content-Type") == "text/html; charset=utf-8")
                #expect(page.header("Content-Security-Policy")?.contains("frame-ancestors 'none'") == true)
                #expect(!page.text.contains("http://") && !page.text.contains("https://"), "nothing is fetched from elsewhere")
                for asset in ["/ui/console.js", "/ui/console.css", "/ui/favicon.svg"] {
                    #expect(try await TestClient.send(port: h.adminPort, path: asset).status == 200, "\(asset)")
                }
                let series = try await TestClient.send(port: h.adminPort, path: "/ui/series")
                let json = try JSONSerialization.jsonObject(with: Data(series.body)) as? [String: Any] ?? [:]
                #expect((json["new"] as? [Any])?.count == SlidingWindow.slotCount)
                #expect(json["slot_seconds"] as? Double == 5)
                let kill = try await TestClient.send(port: h.adminPort, method: .GET, path: "/admin/kill")
                #expect(kill.status == 405, "the console changes nothing by GET")
            }
        }
    }
}
