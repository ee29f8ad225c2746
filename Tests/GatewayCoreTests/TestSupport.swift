import GatewayCore

/// Request attributes from a literal dictionary of headers, for decision tests.
struct FakeRequest: RequestAttributes {
    var headers: [String: String] = [:]

    func header(_ name: String) -> String? {
        headers.first { $0.key.lowercased() == name.lowercased() }?.value
    }

    func cookie(_ name: String) -> Substring? {
        header("Cookie").flatMap { CookieHeader.value(named: name, in: $0) }
    }
}

func makeFlag(enabled: Bool = true, percent: Int = 0) -> FlagConfig {
    var flag = FlagConfig(key: "new-checkout")
    flag.enabled = enabled
    flag.percent = percent
    return flag
}

/// Every problem `ConfigLoader` finds in `text` (none for a valid file).
func configProblems(_ text: String) -> [ConfigProblem] {
    do {
        _ = try ConfigLoader.parse(text, file: "gateway.yaml")
        return []
    } catch {
        return error.problems
    }
}
