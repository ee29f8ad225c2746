import GatewayCore
import Testing

@Suite("Routes, units and header rules")
struct RouteAndHeaderTests {
    @Test func prefixesAreSegmentAware() {
        let routes = [Route(pathPrefix: "/checkout"), Route(pathPrefix: "/api/checkout", methods: ["GET", "POST"])]
        #expect(routes.matches(target: "/checkout", method: "GET"))
        #expect(routes.matches(target: "/checkout/step/2?x=1", method: "DELETE"))
        #expect(routes.matches(target: "/checkout?x=1", method: "GET"))
        #expect(!routes.matches(target: "/checkoutx", method: "GET"))
        #expect(!routes.matches(target: "/", method: "GET"))
        #expect(routes.matches(target: "/api/checkout/orders", method: "POST"))
        #expect(!routes.matches(target: "/api/checkout/orders", method: "PUT"))
        #expect(!routes.matches(target: "/api/checkouts", method: "GET"))
    }

    @Test func durations() {
        #expect(Units.duration("250ms") == .milliseconds(250))
        #expect(Units.duration("1.5s") == .milliseconds(1500))
        #expect(Units.duration("30m") == .seconds(1800))
        #expect(Units.duration("2h") == .seconds(7200))
        #expect(Units.duration("1d") == .seconds(86400))
        for bad in ["", "10", "s", "-1s", "1.5.0s", "1 s", "ten s", "1w"] {
            #expect(Units.duration(bad) == nil, "\(bad)")
        }
    }

    @Test func sizes() {
        #expect(Units.size("1MiB") == 1 << 20)
        #expect(Units.size("32KiB") == 32 << 10)
        #expect(Units.size("512B") == 512)
        #expect(Units.size("1GiB") == 1 << 30)
        #expect(Units.size("0.5KiB") == 512)
        for bad in ["1MB", "1", "KiB", "-1B", "0.3B"] {
            #expect(Units.size(bad) == nil, "\(bad)")
        }
    }

    @Test func hopByHopNamesInAnyCase() {
        for name in ["Connection", "keep-alive", "PROXY-CONNECTION", "te", "Trailer", "Transfer-Encoding", "upgrade"] {
            #expect(HeaderRules.isHopByHop(name), "\(name)")
        }
        for name in ["Host", "Content-Length", "tea", "Trailers", "X-Upgrade"] {
            #expect(!HeaderRules.isHopByHop(name), "\(name)")
        }
    }

    @Test func connectionNominatedHeaders() {
        #expect(HeaderRules.connectionNominated(["keep-alive, X-Foo", " x-bar "]) == ["x-foo", "x-bar"])
        #expect(HeaderRules.connectionNominated(["keep-alive", "Close", "Upgrade, TE"]).isEmpty, "hop-by-hop already, or an option")
    }

    @Test func requestIDSanity() {
        #expect(HeaderRules.isSaneRequestID("abc-123_X.y:z"))
        #expect(!HeaderRules.isSaneRequestID(""))
        #expect(!HeaderRules.isSaneRequestID("a b"))
        #expect(!HeaderRules.isSaneRequestID(String(repeating: "a", count: 129)))
    }

    @Test func contentLengthIsDigitsOnly() {
        #expect(HeaderRules.contentLength("42") == 42)
        for bad in ["-1", "+5", "0x5", "", "1 2", "1e3"] {
            #expect(HeaderRules.contentLength(bad) == nil, "\(bad)")
        }
    }

    @Test func upstreamURLs() {
        #expect(UpstreamURL("http://127.0.0.1:9001")?.prefix == "http://127.0.0.1:9001")
        #expect(UpstreamURL("http://checkout.internal/base/")?.prefix == "http://checkout.internal:80/base")
        #expect(UpstreamURL("https://[::1]:8443")?.prefix == "https://[::1]:8443")
        for bad in ["ftp://x", "http://", "127.0.0.1:9001", "http://h:99999", "http://h:x", "http://a b", "http://h/?q"] {
            #expect(UpstreamURL(bad) == nil, "\(bad)")
        }
    }
}
