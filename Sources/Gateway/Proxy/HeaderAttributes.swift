import GatewayCore
import NIOHTTP1

/// The flag decision's view of a request: its headers after hop-by-hop removal, so a header the
/// client marked hop-by-hop can never steer the decision.
public struct HeaderAttributes: RequestAttributes {
    public var headers: HTTPHeaders

    public init(headers: HTTPHeaders) {
        self.headers = headers
    }

    public func header(_ name: String) -> String? {
        headers.first(name: name)
    }

    public func cookie(_ name: String) -> Substring? {
        for value in headers[canonicalForm: "cookie"] {
            if let found = CookieHeader.value(named: name, in: String(value)) { return found }
        }
        return nil
    }
}
