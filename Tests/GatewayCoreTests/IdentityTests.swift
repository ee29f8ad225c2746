import GatewayCore
import Testing

@Suite("Identity sources and the anonymous cookie")
struct IdentityTests {
    @Test func firstPresentSourceWins() {
        let flag = makeFlag()
        let both = FakeRequest(headers: ["X-User-Id": "from-header", "Cookie": "uid=from-cookie; gw_uid=anon"])
        #expect(flag.resolveIdentity(both)?.value == "from-header")
        let cookieOnly = FakeRequest(headers: ["Cookie": "a=b; uid=from-cookie"])
        #expect(flag.resolveIdentity(cookieOnly) == ResolvedIdentity(value: "from-cookie", origin: .source(.cookie("uid"))))
    }

    @Test func anonymousCookieIsTheLastSource() {
        let flag = makeFlag()
        let request = FakeRequest(headers: ["Cookie": "gw_uid=abc123"])
        #expect(flag.resolveIdentity(request) == ResolvedIdentity(value: "abc123", origin: .anonymousCookie))
        let withHeader = FakeRequest(headers: ["Cookie": "gw_uid=abc123", "X-User-Id": "u1"])
        #expect(flag.resolveIdentity(withHeader)?.value == "u1")
    }

    @Test func emptyValuesAreNotIdentities() {
        let flag = makeFlag()
        #expect(flag.resolveIdentity(FakeRequest(headers: ["X-User-Id": "", "Cookie": "uid="])) == nil)
        #expect(flag.resolveIdentity(FakeRequest()) == nil)
    }

    @Test func cookieParsing() {
        #expect(CookieHeader.value(named: "uid", in: "uid=1") == "1")
        #expect(CookieHeader.value(named: "uid", in: "xuid=2; uid=3") == "3")
        #expect(CookieHeader.value(named: "uid", in: "a=1;uid=\"q\"") == "q")
        #expect(CookieHeader.value(named: "uid", in: "a=1") == nil)
    }

    @Test func setCookieCarriesTheRequiredAttributes() {
        var cookie = AnonymousCookie()
        #expect(cookie.setCookieValue(id: "abc") == "gw_uid=abc; Max-Age=2592000; Path=/; HttpOnly; SameSite=Lax")
        cookie.secure = true
        #expect(cookie.setCookieValue(id: "abc").hasSuffix("; Secure"))
    }
}
