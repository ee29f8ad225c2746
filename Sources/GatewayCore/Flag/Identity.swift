/// Where a request's user identity came from; decides whether an anonymous cookie is minted.
public enum IdentityOrigin: Sendable, Equatable {
    case source(IdentitySource)
    case anonymousCookie
}

public struct ResolvedIdentity: Sendable, Equatable {
    public var value: String
    public var origin: IdentityOrigin

    public init(value: String, origin: IdentityOrigin) {
        self.value = value
        self.origin = origin
    }
}

extension FlagConfig {
    /// The first present identity source, then the anonymous cookie (always the last source).
    /// nil means the gateway must mint an anonymous id for this request.
    public func resolveIdentity(_ request: some RequestAttributes) -> ResolvedIdentity? {
        for source in identity {
            switch source {
            case .header(let name):
                if let value = request.header(name), !value.isEmpty {
                    return ResolvedIdentity(value: value, origin: .source(source))
                }
            case .cookie(let name):
                if let value = request.cookie(name), !value.isEmpty {
                    return ResolvedIdentity(value: String(value), origin: .source(source))
                }
            }
        }
        if let value = request.cookie(anonymousCookie.name), !value.isEmpty {
            return ResolvedIdentity(value: String(value), origin: .anonymousCookie)
        }
        return nil
    }
}

extension AnonymousCookie {
    /// The `Set-Cookie` value that hands a freshly minted id to the browser.
    public func setCookieValue(id: String) -> String {
        var value = "\(name)=\(id); Max-Age=\(maxAge.components.seconds); Path=/; HttpOnly; SameSite=Lax"
        if secure { value += "; Secure" }
        return value
    }
}
