/// The `flag` section: who gets which checkout.
extension ConfigDecoder {
    static let flagKeys = [
        "key", "group_id", "enabled", "percent", "identity", "anonymous_cookie", "targeting", "public_ofrep", "test_override", "pin_ttl",
    ]

    mutating func flagSection(_ node: YAMLNode) -> FlagConfig? {
        guard let map = mapping(node, "flag", allowed: Self.flagKeys) else { return nil }
        let key = required(map["key"], in: map, "flag.key").flatMap { string($0, "flag.key") }
        let groupID = string(map["group_id"], "flag.group_id", allowEmpty: true)
        let enabled = bool(map["enabled"], "flag.enabled")
        let percent = integer(map["percent"], "flag.percent", in: 0...100)
        let identity = identitySources(map["identity"])
        let anonymousCookie = anonymousCookieSection(map["anonymous_cookie"])
        let targeting = targetingRules(map["targeting"])
        let publicOFREP = bool(map["public_ofrep"], "flag.public_ofrep")
        let testOverride = map["test_override"].flatMap { testOverrideSection($0) }
        let pinTTL = duration(map["pin_ttl"], "flag.pin_ttl", positive: false)

        guard let key else { return nil }
        var flag = FlagConfig(key: key, groupID: groupID)
        if let enabled { flag.enabled = enabled }
        if let percent { flag.percent = percent }
        if let identity { flag.identity = identity }
        flag.anonymousCookie = anonymousCookie
        flag.targeting = targeting
        if let publicOFREP { flag.publicOFREP = publicOFREP }
        flag.testOverride = testOverride
        if let pinTTL { flag.pinTTL = pinTTL }
        return flag
    }

    private mutating func identitySources(_ node: YAMLNode?) -> [IdentitySource]? {
        guard let items = list(node, "flag.identity") else { return nil }
        return items.enumerated().compactMap { index, item in
            let path = "flag.identity[\(index)]"
            guard let map = mapping(item, path, allowed: ["header", "cookie"]) else { return nil }
            guard map.entries.count == 1 else {
                fail(map.mark, "\(path) must name exactly one source: header or cookie")
                return nil
            }
            if let header = token(map["header"], "\(path).header") { return .header(header) }
            if let cookie = token(map["cookie"], "\(path).cookie", what: "a cookie name") { return .cookie(cookie) }
            return nil
        }
    }

    private mutating func anonymousCookieSection(_ node: YAMLNode?) -> AnonymousCookie {
        var cookie = AnonymousCookie()
        guard let map = mapping(node, "flag.anonymous_cookie", allowed: ["name", "max_age", "secure"]) else { return cookie }
        if let name = token(map["name"], "flag.anonymous_cookie.name", what: "a cookie name") { cookie.name = name }
        if let maxAge = duration(map["max_age"], "flag.anonymous_cookie.max_age") { cookie.maxAge = maxAge }
        if let secure = bool(map["secure"], "flag.anonymous_cookie.secure") { cookie.secure = secure }
        return cookie
    }

    private mutating func targetingRules(_ node: YAMLNode?) -> [TargetingRule] {
        guard let items = list(node, "flag.targeting") else { return [] }
        return items.enumerated().compactMap { index, item in
            let path = "flag.targeting[\(index)]"
            guard let map = mapping(item, path, allowed: ["variant", "users", "header"]) else { return nil }
            let variant = required(map["variant"], in: map, "\(path).variant").flatMap { choice($0, "\(path).variant", as: Variant.self) }
            var users: Set<String>?
            if let userNodes = list(map["users"], "\(path).users") {
                users = Set(userNodes.enumerated().compactMap { userIndex, node in string(node, "\(path).users[\(userIndex)]") })
            }
            var header: HeaderCondition?
            if let headerMap = mapping(map["header"], "\(path).header", allowed: ["name", "equals"]) {
                let name = required(headerMap["name"], in: headerMap, "\(path).header.name").flatMap { token($0, "\(path).header.name") }
                let equals = required(headerMap["equals"], in: headerMap, "\(path).header.equals").flatMap {
                    string($0, "\(path).header.equals", allowEmpty: true)
                }
                if let name, let equals { header = HeaderCondition(name: name, equals: equals) }
            }
            if map["users"] == nil && map["header"] == nil {
                fail(map.mark, "\(path) needs a condition: users or header")
                return nil
            }
            return variant.map { TargetingRule(variant: $0, users: users, header: header) }
        }
    }

    private mutating func testOverrideSection(_ node: YAMLNode) -> TestOverride? {
        guard let map = mapping(node, "flag.test_override", allowed: ["header", "token_env"]) else { return nil }
        var override = TestOverride()
        if let header = token(map["header"], "flag.test_override.header") { override.header = header }
        if let tokenEnv = envName(map["token_env"], "flag.test_override.token_env") { override.tokenEnv = tokenEnv }
        return override
    }
}
