import GatewayCore

/// The flag decision's view of a request: its headers after hop-by-hop removal, so a header the
/// client marked hop-by-hop can never steer the decision.
public struct HeaderAttributes: RequestAttributes {
    public var headers: [(name: String, value: String)]

    public init(headers: [(name: String, value: String)]) {
        self.headers = headers
    }

    public func header(_ name: String) -> String? {
        headers.first(name: name)
    }

    public func cookie(_ name: String) -> Substring? {
        for field in headers where ASCIICase.equals(field.name, "cookie") {
            if let found = CookieHeader.value(named: name, in: field.value) { return found }
        }
        return nil
    }
}
