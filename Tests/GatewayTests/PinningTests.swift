import Foundation
import GatewayCore
import NIOHTTP1
import Testing

/// Finish-your-checkout pinning with a real gateway and upstreams: a shopper who began a
/// checkout on new keeps new through a manual ramp-down until they place the order; a forged pin
/// is ignored; a kill beats any pin; with `GATEWAY_PIN_KEY` a pin survives a restart.
@Suite("Checkout pinning", .timeLimit(.minutes(1)))
struct PinningTests {
    static let conversion = """
        guardrails:
          conversion:
            start: { path_prefix: /checkout, method: GET }
            done: { path_prefix: /checkout/orders, method: POST }
        """
    static let environment = ["GATEWAY_PIN_KEY": "test pin key shared by every replica"]

    private func get(_ h: FileHarness, user: String, cookie: String? = nil) async throws -> TestResponse {
        var headers = [("X-User-Id", user)]
        if let cookie { headers.append(("Cookie", cookie)) }
        return try await TestClient.send(port: h.port, path: "/checkout", headers: headers)
    }

    /// `gw_pin=…` from a response's Set-Cookie.
    private func pin(in response: TestResponse) -> String? {
        response.headers[canonicalForm: "set-cookie"].map(String.init).first { $0.hasPrefix("gw_pin=") }.map { String($0.split(separator: ";")[0]) }
    }

    @Test func aStartedCheckoutKeepsNewThroughARampDownUntilTheOrder() async throws {
        let state = TemporaryFiles.path("state.json")
        let config = TemporaryFiles.path("gateway.yaml")
        let cookie = try await FileHarness.with(
            percent: 100, stateFile: state, configPath: config, environment: Self.environment, extra: Self.conversion
        ) { h async throws -> String in
            let started = try await get(h, user: "alice")
            #expect(started.header("X-Checkout-Variant") == "new")
            let cookie = try #require(pin(in: started), "a checkout started on new is pinned")
            #expect(started.headers[canonicalForm: "set-cookie"].contains { $0.contains("Max-Age=1800") && $0.contains("HttpOnly") })
            let again = try await get(h, user: "alice", cookie: cookie)
            #expect(pin(in: again) == nil, "a fresh pin is not set again on every request")

            try h.rewrite(percent: 0, extra: Self.conversion, stateFile: state)
            try await h.waitForStatus("the ramp-down") { $0[path: "flag.percent_effective"] as? Int == 0 }
            let pinned = try await get(h, user: "alice", cookie: cookie)
            #expect(pinned.header("X-Checkout-Variant") == "new", "alice finishes on new")
            #expect(try await get(h, user: "bob").header("X-Checkout-Variant") == "old", "everyone else follows the percent")
            #expect(try await get(h, user: "bob", cookie: cookie).header("X-Checkout-Variant") == "old", "alice's pin is not bob's")
            let forged = "gw_pin=v1.9999999999.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
            #expect(try await get(h, user: "alice", cookie: forged).header("X-Checkout-Variant") == "old", "a forged pin is ignored")
            let metrics = MetricsText(try await TestClient.send(port: h.adminPort, path: "/metrics").text)
            #expect(metrics.value("gateway_pinned_requests_total") == 1)
            return cookie
        }
        // The same key after a restart: the pin still holds; the order clears it; a kill beats it.
        try await FileHarness.with(percent: 0, stateFile: state, configPath: config, environment: Self.environment, extra: Self.conversion) {
            h async throws in
            #expect(try await get(h, user: "alice", cookie: cookie).header("X-Checkout-Variant") == "new", "the pin survives a restart")
            #expect(try await h.admin("/admin/kill").status == 200)
            #expect(try await get(h, user: "alice", cookie: cookie).header("X-Checkout-Variant") == "old", "a kill beats a pin")
            #expect(try await h.admin("/admin/resume").status == 200)
            let order = try await TestClient.send(
                port: h.port, method: .POST, path: "/checkout/orders", headers: [("X-User-Id", "alice"), ("Cookie", cookie)], body: [1])
            #expect(order.header("X-Checkout-Variant") == "new", "the order goes where the checkout began")
            #expect(
                order.headers[canonicalForm: "set-cookie"].contains { $0.hasPrefix("gw_pin=;") && $0.contains("Max-Age=0") }, "done clears the pin")
        }
    }

    @Test func pinTTLZeroTurnsPinningOff() async throws {
        let state = TemporaryFiles.path("state.json")
        let config = TemporaryFiles.path("gateway.yaml")
        @Sendable func withoutPins(_ text: String) throws {
            try text.replacingOccurrences(of: "  percent: 0\n", with: "  percent: 0\n  pin_ttl: 0\n")
                .replacingOccurrences(of: "  percent: 100\n", with: "  percent: 100\n  pin_ttl: 0\n")
                .write(toFile: config, atomically: true, encoding: .utf8)
        }
        try await FileHarness.with(
            percent: 100, stateFile: state, configPath: config, environment: Self.environment, extra: Self.conversion, placeConfig: withoutPins
        ) { h async throws in
            let started = try await get(h, user: "alice")
            #expect(started.header("X-Checkout-Variant") == "new")
            #expect(pin(in: started) == nil, "no pin is set")
        }
        // A pin signed with the right key, as a shopper might still carry from before: ignored.
        let carried = CheckoutPins(key: Array(Self.environment["GATEWAY_PIN_KEY"]!.utf8))
            .value(flag: "new-checkout", identity: "alice", expires: Int(Date().timeIntervalSince1970) + 600)
        try await FileHarness.with(
            percent: 0, stateFile: state, configPath: config, environment: Self.environment, extra: Self.conversion, placeConfig: withoutPins
        ) { h async throws in
            #expect(try String(contentsOfFile: config, encoding: .utf8).contains("pin_ttl: 0"))
            let answer = try await get(h, user: "alice", cookie: "gw_pin=\(carried)")
            #expect(answer.header("X-Checkout-Variant") == "old", "a carried pin is not honoured")
        }
        // The same pin holds when pinning is on (so the test above could have failed).
        try await FileHarness.with(percent: 0, stateFile: state, configPath: config, environment: Self.environment, extra: Self.conversion) {
            h async throws in
            #expect(try await get(h, user: "alice", cookie: "gw_pin=\(carried)").header("X-Checkout-Variant") == "new")
        }
    }

    @Test func aPinFromOneReplicaHoldsOnAnotherWithTheSharedKey() async throws {
        let etcd = try await EtcdCluster.start()
        defer { etcd.stop() }
        let fleet = try await FleetHarness.make(etcd: etcd, percent: 100)
        defer { fleet.killAll() }
        let first = try await fleet.launchReplica(environment: Self.environment)
        let second = try await fleet.launchReplica(environment: Self.environment)
        let started = try await TestClient.send(port: first.publicPort, path: "/checkout", headers: [("X-User-Id", "alice")])
        let cookie = try #require(pin(in: started))
        #expect(try await fleet.admin(first, "/admin/kill").status == 200)
        for replica in [first, second] {
            try await fleet.waitUntil("the kill reaches every replica", within: .seconds(3)) {
                try await TestClient.send(port: replica.publicPort, path: "/checkout", headers: [("X-User-Id", "alice"), ("Cookie", cookie)])
                    .header("X-Checkout-Variant") == "old"
            }
        }
        #expect(try await fleet.admin(second, "/admin/resume").status == 200)
        try fleet.rewrite(percent: 0)
        try await fleet.waitUntil("both replicas ramped down", within: .seconds(5)) {
            let secondDown = try await fleet.status(second)[path: "flag.percent_effective"] as? Int == 0
            let firstDown = try await fleet.status(first)[path: "flag.percent_effective"] as? Int == 0
            return secondDown && firstDown
        }
        let elsewhere = try await TestClient.send(port: second.publicPort, path: "/checkout", headers: [("X-User-Id", "alice"), ("Cookie", cookie)])
        #expect(elsewhere.header("X-Checkout-Variant") == "new", "the other replica honours the pin")
        #expect(try await fleet.variant(second, user: "bob") == "old")
        await fleet.stop([first, second])
    }
}
