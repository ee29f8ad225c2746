import Foundation
import GatewayCore
import NIOHTTP1
import Testing

@Suite("OFREP evaluation (README: Admin listener)", .timeLimit(.minutes(1)))
struct OFREPTests {
    private static func configure(_ config: inout GatewayConfig) {
        config.flag.percent = 40
        config.flag.publicOFREP = true
        config.flag.targeting = [TargetingRule(variant: .new, header: HeaderCondition(name: "X-Cohort", equals: "beta"))]
    }

    private func post(_ port: Int, _ path: String, _ json: String, headers: [(String, String)] = []) async throws -> (TestResponse, [String: Any]) {
        let response = try await TestClient.send(
            port: port, method: .POST, path: path, headers: [("Content-Type", "application/json")] + headers, body: Array(json.utf8))
        let object = (try? JSONSerialization.jsonObject(with: Data(response.body))) as? [String: Any] ?? [:]
        return (response, object)
    }

    @Test func singleAndBulkAgreeWithExplainAndTheProxy() async throws {
        try await Harness.with(configure: Self.configure) { h async throws in
            for index in 0..<30 {
                let user = "visitor-\(index)"
                let cohort = index % 7 == 0 ? "beta" : "none"
                let explanation = Explanation(
                    config: h.config, identity: user, headers: [("X-Cohort", cohort)], path: "/checkout", method: "GET",
                    state: FlagState(effectivePercent: 40), overrideToken: nil
                )
                let context = "{\"context\": {\"targetingKey\": \"\(user)\", \"X-Cohort\": \"\(cohort)\"}}"
                let (single, answer) = try await post(h.adminPort, "/ofrep/v1/evaluate/flags/new-checkout", context)
                #expect(single.status == 200)
                #expect(answer["key"] as? String == "new-checkout")
                #expect(answer["variant"] as? String == explanation.variant.rawValue)
                #expect(answer["value"] as? Bool == (explanation.variant == .new))
                #expect(answer["reason"] as? String == explanation.decision?.reason.ofrepReason, "40% is a split, never STATIC")

                let (bulk, bulkAnswer) = try await post(h.adminPort, "/ofrep/v1/evaluate/flags", context)
                #expect(bulk.status == 200)
                let flags = bulkAnswer["flags"] as? [[String: Any]]
                #expect(flags?.first?["variant"] as? String == explanation.variant.rawValue)

                let proxied = try await h.get("/checkout", headers: [("X-User-Id", user), ("X-Cohort", cohort)])
                #expect(proxied.header("X-Checkout-Variant") == explanation.variant.rawValue)
            }
        }
    }

    @Test func aRolloutAtZeroOrHundredPercentIsStatic() async throws {
        for percent in [0, 100] {
            try await Harness.with(configure: { $0.flag.percent = percent }) { h async throws in
                let (_, answer) = try await post(h.adminPort, "/ofrep/v1/evaluate/flags/new-checkout", "{\"context\": {\"targetingKey\": \"v\"}}")
                #expect(answer["reason"] as? String == "STATIC")
                #expect(answer["value"] as? Bool == (percent == 100))
            }
        }
    }

    @Test func errorsFollowTheProtocol() async throws {
        try await Harness.with(configure: Self.configure) { h async throws in
            let (unknown, unknownBody) = try await post(
                h.adminPort, "/ofrep/v1/evaluate/flags/other-flag", "{\"context\": {\"targetingKey\": \"a\"}}")
            #expect(unknown.status == 404)
            #expect(unknownBody["errorCode"] as? String == "FLAG_NOT_FOUND")
            #expect(unknownBody["key"] as? String == "other-flag")
            let (garbage, garbageBody) = try await post(h.adminPort, "/ofrep/v1/evaluate/flags/new-checkout", "{not json")
            #expect(garbage.status == 400)
            #expect(garbageBody["errorCode"] as? String == "PARSE_ERROR")
            let (missing, missingBody) = try await post(h.adminPort, "/ofrep/v1/evaluate/flags/new-checkout", "{\"context\": {\"plan\": \"gold\"}}")
            #expect(missing.status == 400)
            #expect(missingBody["errorCode"] as? String == "TARGETING_KEY_MISSING")
            let (invalid, invalidBody) = try await post(h.adminPort, "/ofrep/v1/evaluate/flags/new-checkout", "{\"context\": {\"targetingKey\": 42}}")
            #expect(invalid.status == 400)
            #expect(invalidBody["errorCode"] as? String == "INVALID_CONTEXT")
        }
    }

    /// A percent-encoded key is decoded (Foundation), a context attribute that is a number or a
    /// boolean is compared as its JSON text, and a context that is not an object is refused.
    @Test func encodedKeysAndNonStringAttributes() async throws {
        try await Harness.with(configure: { config in
            Self.configure(&config)
            config.flag.percent = 0
            config.flag.targeting = [
                TargetingRule(variant: .new, header: HeaderCondition(name: "X-Tier", equals: "3")),
                TargetingRule(variant: .new, header: HeaderCondition(name: "X-Staff", equals: "true")),
            ]
        }) { h async throws in
            let path = "/ofrep/v1/evaluate/flags/new%2Dcheckout"
            let (tier, tierBody) = try await post(h.adminPort, path, "{\"context\": {\"targetingKey\": \"a\", \"X-Tier\": 3}}")
            #expect(tier.status == 200)
            #expect(tierBody["key"] as? String == "new-checkout")
            #expect(tierBody["variant"] as? String == "new")
            let (staff, staffBody) = try await post(h.adminPort, path, "{\"context\": {\"targetingKey\": \"a\", \"x-staff\": true}}")
            #expect(staff.status == 200 && staffBody["variant"] as? String == "new")
            let (fraction, fractionBody) = try await post(h.adminPort, path, "{\"context\": {\"targetingKey\": \"a\", \"X-Tier\": 3.5}}")
            #expect(fraction.status == 200 && fractionBody["variant"] as? String == "old")
            let (notObject, notObjectBody) = try await post(h.adminPort, path, "{\"context\": [1, 2]}")
            #expect(notObject.status == 400)
            #expect(notObjectBody["errorCode"] as? String == "INVALID_CONTEXT")
            #expect(notObjectBody["key"] as? String == "new-checkout")
        }
    }

    @Test func bulkAnswersCarryAnETagAndHonourIfNoneMatch() async throws {
        try await Harness.with(configure: Self.configure) { h async throws in
            let context = "{\"context\": {\"targetingKey\": \"visitor-1\"}}"
            let (first, _) = try await post(h.adminPort, "/ofrep/v1/evaluate/flags", context)
            let etag = try #require(first.header("ETag"))
            let (again, _) = try await post(h.adminPort, "/ofrep/v1/evaluate/flags", context, headers: [("If-None-Match", etag)])
            #expect(again.status == 304)
            #expect(again.body.isEmpty)
            let (other, _) = try await post(
                h.adminPort, "/ofrep/v1/evaluate/flags", "{\"context\": {\"targetingKey\": \"visitor-2\", \"X-Cohort\": \"beta\"}}",
                headers: [("If-None-Match", etag)])
            #expect(other.status == 200)
        }
    }

    @Test func publicListenerAnswersOFREPOnlyWhenAllowed() async throws {
        try await Harness.with(configure: Self.configure) { h async throws in
            let (response, answer) = try await post(
                h.port, "/ofrep/v1/evaluate/flags/new-checkout", "{\"context\": {\"targetingKey\": \"visitor-3\"}}")
            #expect(response.status == 200)
            #expect(answer["variant"] as? String != nil)
            let kill = try await post(h.port, "/admin/kill", "")
            #expect(kill.0.header("X-Checkout-Variant") == "old", "admin paths on the public listener are ordinary requests to old")
            #expect(h.old.requests.count == 1)
        }
        try await Harness.with { h async throws in
            let (response, _) = try await post(h.port, "/ofrep/v1/evaluate/flags/new-checkout", "{\"context\": {\"targetingKey\": \"visitor-3\"}}")
            #expect(response.header("X-Checkout-Variant") == "old", "without public_ofrep the request is proxied")
        }
    }
}
