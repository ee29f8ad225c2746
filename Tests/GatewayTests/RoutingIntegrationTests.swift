import GatewayCore
import NIOHTTP1
import Testing

@Suite("Routing through the real gateway", .timeLimit(.minutes(1)))
struct RoutingIntegrationTests {
    @Test func flagOffSendsEveryRequestToOldUnchanged() async throws {
        try await Harness.with(configure: {
            $0.flag.enabled = false; $0.flag.percent = 100
        }) { h async throws in
            h.old.set(.respond(status: 201, body: "created by old", headers: [("X-Custom", "kept")]))
            for user in ["a", "b", "c", "qa-alice"] {
                let response = try await h.get("/checkout/cart?step=2", headers: [("X-User-Id", user)])
                #expect(response.status == 201)
                #expect(response.text == "created by old")
                #expect(response.header("X-Custom") == "kept")
                #expect(response.header("X-Checkout-Variant") == "old")
            }
            #expect(h.new.requests.isEmpty)
            #expect(h.old.requests.count == 4)
            #expect(h.old.requests.first?.uri == "/checkout/cart?step=2")
        }
    }

    @Test(arguments: [0, 50, 100])
    func percentDecidesPerUserAndIsStable(percent: Int) async throws {
        try await Harness.with(configure: { $0.flag.percent = percent }) { h async throws in
            var sawNew = 0
            for index in 0..<40 {
                let user = "user-\(index)"
                let expected: Variant =
                    Bucketing.isIn(bucket: Bucketing.bucket(groupID: "new-checkout", identity: user), percent: percent) ? .new : .old
                for _ in 0..<2 {
                    let response = try await h.get("/api/checkout", headers: [("X-User-Id", user)])
                    #expect(response.header("X-Checkout-Variant") == expected.rawValue, "\(user) at \(percent)%")
                    #expect(response.text == expected.rawValue)
                }
                if expected == .new { sawNew += 1 }
            }
            if percent == 0 { #expect(sawNew == 0) }
            if percent == 100 { #expect(sawNew == 40) }
            if percent == 50 { #expect(sawNew > 5 && sawNew < 35) }
        }
    }

    @Test func targetingRuleWinsOverPercent() async throws {
        try await Harness.with(configure: {
            $0.flag.percent = 0
            $0.flag.targeting = [
                TargetingRule(variant: .new, users: ["qa-alice"]),
                TargetingRule(variant: .new, header: HeaderCondition(name: "X-Cohort", equals: "beta")),
            ]
        }) { h async throws in
            let targeted = try await h.get("/checkout", headers: [("X-User-Id", "qa-alice")])
            let cohort = try await h.get("/checkout", headers: [("X-User-Id", "zed"), ("X-Cohort", "beta")])
            let neither = try await h.get("/checkout", headers: [("X-User-Id", "zed")])
            #expect(targeted.header("X-Checkout-Variant") == "new")
            #expect(cohort.header("X-Checkout-Variant") == "new")
            #expect(neither.header("X-Checkout-Variant") == "old")
        }
    }

    @Test func nonRoutePathGoesToOldAtHundredPercent() async throws {
        try await Harness.with(configure: { $0.flag.percent = 100 }) { h async throws in
            let response = try await h.get("/checkoutx", headers: [("X-User-Id", "u1")])
            #expect(response.header("X-Checkout-Variant") == "old")
            let home = try await h.get("/")
            #expect(home.header("X-Checkout-Variant") == "old")
            #expect(home.header("Set-Cookie") == nil)
            #expect(h.new.requests.isEmpty)
        }
    }

    @Test func anonymousCookieIsMintedAndHonoured() async throws {
        try await Harness.with(configure: { $0.flag.percent = 50 }) { h async throws in
            let first = try await h.get("/checkout")
            let setCookie = try #require(first.header("Set-Cookie"))
            #expect(setCookie.contains("HttpOnly") && setCookie.contains("SameSite=Lax") && setCookie.contains("Path=/"))
            let pair = try #require(setCookie.split(separator: ";").first)
            let id = String(pair.dropFirst("gw_uid=".count))
            #expect(id.count == 32 && id.allSatisfy(\.isHexDigit))
            let expected: Variant = Bucketing.isIn(bucket: Bucketing.bucket(groupID: "new-checkout", identity: id), percent: 50) ? .new : .old
            #expect(first.header("X-Checkout-Variant") == expected.rawValue)
            for _ in 0..<5 {
                let again = try await h.get("/api/checkout/status", headers: [("Cookie", String(pair))])
                #expect(again.header("X-Checkout-Variant") == expected.rawValue)
                #expect(!again.headers["Set-Cookie"].contains { $0.hasPrefix("gw_uid=") }, "the id is not minted again")
            }
        }
    }

    @Test func testOverrideNeedsTheTokenAndIsStripped() async throws {
        try await Harness.with(configure: { $0.flag.percent = 0 }) { h async throws in
            let forced = try await h.get(
                "/checkout", headers: [("X-User-Id", "u"), ("X-Checkout-Force", "new"), ("X-Gateway-Test-Token", Harness.testToken)])
            #expect(forced.header("X-Checkout-Variant") == "new")
            let wrong = try await h.get("/checkout", headers: [("X-User-Id", "u"), ("X-Checkout-Force", "new"), ("X-Gateway-Test-Token", "nope")])
            #expect(wrong.header("X-Checkout-Variant") == "old")
            for recorded in h.new.requests + h.old.requests {
                #expect(!recorded.headers.contains(name: "X-Checkout-Force"))
                #expect(!recorded.headers.contains(name: "X-Gateway-Test-Token"))
            }
        }
    }
}

@Suite("explain agrees with the running gateway", .timeLimit(.minutes(1)))
struct ExplainAgreementTests {
    @Test func explainAndProxyGiveTheSameVariant() async throws {
        try await Harness.with(configure: {
            $0.flag.percent = 30
            $0.flag.targeting = [
                TargetingRule(variant: .new, users: ["qa-1"]),
                TargetingRule(variant: .old, header: HeaderCondition(name: "X-Cohort", equals: "legacy")),
            ]
        }) { h async throws in
            let explained = h.config
            let cases: [(String, [(String, String)])] =
                (0..<60).map { ("shopper-\($0)", []) }
                + [
                    ("qa-1", []), ("shopper-3", [("X-Cohort", "legacy")]),
                    ("shopper-4", [("X-Checkout-Force", "new"), ("X-Gateway-Test-Token", Harness.testToken)]),
                ]
            for (user, headers) in cases {
                let explanation = Explanation(
                    config: explained, identity: user, headers: headers, path: "/checkout", method: "GET",
                    state: FlagState(effectivePercent: 30), overrideToken: Harness.testToken
                )
                let response = try await h.get("/checkout", headers: [("X-User-Id", user)] + headers)
                #expect(response.header("X-Checkout-Variant") == explanation.variant.rawValue, "\(user) \(headers)")
            }
            let offRoute = Explanation(
                config: explained, identity: "qa-1", headers: [], path: "/account", method: "GET", state: FlagState(effectivePercent: 30),
                overrideToken: nil)
            #expect(offRoute.decision == nil)
            #expect(try await h.get("/account", headers: [("X-User-Id", "qa-1")]).header("X-Checkout-Variant") == "old")
        }
    }
}
