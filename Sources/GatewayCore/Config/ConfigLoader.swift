import Foundation

/// A config file as it was read: the validated config and the hash of exactly the bytes it
/// came from (what `/status` shows and what reload compares).
public struct LoadedConfig: Sendable {
    public var config: GatewayConfig
    public var sha256: String
    /// Taken before the bytes were read, so a change made during the read is seen next time.
    public var stamp: FileStamp?
}

/// Reads and validates `gateway.yaml`. The one entry point for the gateway (start and reload),
/// `validate`, `explain` and `demo`, so all of them accept and reject exactly the same files.
public enum ConfigLoader {
    /// Larger files are refused before they are read: a realistic config with a cohort of
    /// 40,000 targeted users is under 1 MiB.
    public static let maxFileBytes = 8 << 20

    public static func load(path: String) throws(ConfigError) -> GatewayConfig {
        try read(path: path).config
    }

    public static func read(path: String) throws(ConfigError) -> LoadedConfig {
        let stamp = FileStamp(path: path)
        let data = try bytes(path: path)
        guard let text = String(validating: data, as: UTF8.self) else {
            throw ConfigError(file: path, problems: [ConfigProblem(SourceMark(line: 1, column: 1), "the file is not valid UTF-8")])
        }
        return LoadedConfig(config: try parse(text, file: path), sha256: ContentHash.sha256Hex(data), stamp: stamp)
    }

    /// The file's bytes, at most `maxFileBytes` of them.
    private static func bytes(path: String) throws(ConfigError) -> [UInt8] {
        func problem(_ message: String) -> ConfigError {
            ConfigError(file: path, problems: [ConfigProblem(SourceMark(line: 1, column: 1), message)])
        }
        guard let handle = FileHandle(forReadingAtPath: path) else { throw problem("cannot read the file") }
        defer { try? handle.close() }
        let data: Data?
        do {
            data = try handle.read(upToCount: maxFileBytes + 1)
        } catch {
            throw problem("cannot read the file: \(error.localizedDescription)")
        }
        let bytes = data.map { [UInt8]($0) } ?? []
        guard bytes.count <= maxFileBytes else {
            throw problem("the file is larger than \(maxFileBytes >> 20) MiB, the most a gateway.yaml may be")
        }
        return bytes
    }

    public static func parse(_ text: String, file: String) throws(ConfigError) -> GatewayConfig {
        let document = YAMLParser.parse(text)
        var decoder = ConfigDecoder()
        let config = document.root.flatMap { decoder.gatewayConfig($0) }
        let problems = document.problems + decoder.problems
        if document.root == nil && problems.isEmpty {
            throw ConfigError(file: file, problems: [ConfigProblem(SourceMark(line: 1, column: 1), "the file is empty")], source: text)
        }
        guard problems.isEmpty, let config else {
            throw ConfigError(file: file, problems: problems, source: text)
        }
        return config
    }
}

extension ConfigDecoder {
    static let topLevelKeys = [
        "version", "listen", "admin", "upstreams", "routes", "flag", "fallback", "schedule", "guardrails", "limits",
        "state_file", "state", "access_log", "notify", "shadow", "tracing",
    ]

    mutating func gatewayConfig(_ root: YAMLNode) -> GatewayConfig? {
        guard let top = mapping(root, "the top level", allowed: Self.topLevelKeys) else { return nil }
        if let versionNode = required(top["version"], in: top, "version"), !Self.isVersionOne(versionNode) {
            fail(versionNode.mark, "version must be 1, got \(describe(versionNode))")
        }
        let upstreams = required(top["upstreams"], in: top, "upstreams").flatMap { upstreamsSection($0) }
        let flag = required(top["flag"], in: top, "flag").flatMap { flagSection($0) }
        let listen = hostPort(top["listen"], "listen")
        let admin = adminSection(top["admin"])
        let routes = routesSection(top["routes"])
        let fallback = fallbackSection(top["fallback"])
        let schedule = top["schedule"].flatMap { scheduleSection($0) }
        let guardrails = top["guardrails"].flatMap { guardrailsSection($0) }
        let limits = limitsSection(top["limits"])
        let stateFile = string(top["state_file"], "state_file")
        let etcd = top["state"].flatMap { stateSection($0) }
        if let stateNode = top["state"], top["state_file"] != nil {
            fail(
                stateNode.mark,
                "state and state_file cannot both be set: state.etcd keeps the rollout state in etcd for a fleet, state_file on this machine")
        }
        let accessLog = bool(top["access_log"], "access_log")
        let notify = top["notify"].map { notifySection($0) } ?? []
        let shadow = top["shadow"].flatMap { shadowSection($0) }
        let tracing = top["tracing"].flatMap { tracingSection($0) }
        if let etcd, let flag, flag.key == "orders", let flagNode = top["flag"] {
            fail(
                flagNode.mark,
                "flag.key orders is reserved with state.etcd: completed orders are kept under \(etcd.prefix)orders/; choose another flag key")
        }

        guard let upstreams, let flag else { return nil }
        var config = GatewayConfig(upstreams: upstreams, flag: flag)
        if let listen { config.listen = listen }
        config.admin = admin
        config.routes = routes
        config.fallback = fallback
        config.schedule = schedule
        config.guardrails = guardrails
        config.limits = limits
        if let stateFile { config.stateFile = stateFile }
        config.etcd = etcd
        if let accessLog { config.accessLog = accessLog }
        config.notify = notify
        config.shadow = shadow
        config.tracing = tracing
        return config
    }

    /// An `http://` or `https://` URL with a host (upstreams, webhooks, Prometheus), parsed and
    /// as written.
    mutating func httpURL(_ node: YAMLNode, _ path: String) -> (url: UpstreamURL, text: String)? {
        guard let text = string(node, path) else { return nil }
        guard let url = UpstreamURL(text) else {
            fail(node.mark, "\(path) must be an http:// or https:// URL with a host, got \(text)")
            return nil
        }
        return (url, text)
    }

    private static func isVersionOne(_ node: YAMLNode) -> Bool {
        guard case .scalar(let scalar) = node else { return false }
        return scalar.isPlain && scalar.value == "1"
    }

    private mutating func adminSection(_ node: YAMLNode?) -> AdminConfig {
        var admin = AdminConfig()
        guard let map = mapping(node, "admin", allowed: ["listen", "token_env"]) else { return admin }
        if let listen = hostPort(map["listen"], "admin.listen") { admin.listen = listen }
        if let tokenEnv = envName(map["token_env"], "admin.token_env") { admin.tokenEnv = tokenEnv }
        return admin
    }

    private mutating func upstreamsSection(_ node: YAMLNode) -> Upstreams? {
        guard let map = mapping(node, "upstreams", allowed: ["old", "new"]) else { return nil }
        let old = required(map["old"], in: map, "upstreams.old").flatMap { upstream($0, "upstreams.old", defaults: UpstreamConfig.oldDefaults) }
        let new = required(map["new"], in: map, "upstreams.new").flatMap { upstream($0, "upstreams.new", defaults: UpstreamConfig.newDefaults) }
        guard let old, let new else { return nil }
        return Upstreams(old: old, new: new)
    }

    private mutating func upstream(_ node: YAMLNode, _ path: String, defaults: (UpstreamURL) -> UpstreamConfig) -> UpstreamConfig? {
        guard let map = mapping(node, path, allowed: ["url", "connect_timeout", "timeout", "max_connections"]) else { return nil }
        let url = required(map["url"], in: map, "\(path).url").flatMap { httpURL($0, "\(path).url")?.url }
        let connectTimeout = duration(map["connect_timeout"], "\(path).connect_timeout")
        let timeout = duration(map["timeout"], "\(path).timeout")
        let maxConnections = integer(map["max_connections"], "\(path).max_connections", in: 1...10_000)
        guard let url else { return nil }
        var upstream = defaults(url)
        if let connectTimeout { upstream.connectTimeout = connectTimeout }
        if let timeout { upstream.timeout = timeout }
        if let maxConnections { upstream.maxConnections = maxConnections }
        return upstream
    }

    private mutating func routesSection(_ node: YAMLNode?) -> [Route] {
        guard let items = list(node, "routes") else { return [] }
        return items.enumerated().compactMap { index, item in
            let path = "routes[\(index)]"
            guard let map = mapping(item, path, allowed: ["path_prefix", "methods"]) else { return nil }
            let prefix = required(map["path_prefix"], in: map, "\(path).path_prefix").flatMap { pathPrefix($0, "\(path).path_prefix") }
            var methods: Set<String>?
            if let methodNodes = list(map["methods"], "\(path).methods") {
                methods = Set(
                    methodNodes.enumerated().compactMap { methodIndex, node in
                        method(node, "\(path).methods[\(methodIndex)]")
                    })
            }
            return prefix.map { Route(pathPrefix: $0, methods: methods) }
        }
    }

    mutating func pathPrefix(_ node: YAMLNode, _ path: String) -> String? {
        guard let text = string(node, path) else { return nil }
        guard text.hasPrefix("/"), !text.contains("?"), !text.contains(where: { $0 == " " || $0.isNewline }) else {
            fail(node.mark, "\(path) must be a path starting with /, got \(describe(node))")
            return nil
        }
        return text
    }

    mutating func method(_ node: YAMLNode, _ path: String) -> String? {
        guard let text = string(node, path) else { return nil }
        guard text.allSatisfy({ $0.isASCII && $0.isUppercase }) else {
            fail(node.mark, "\(path) must be an upper-case HTTP method such as GET or POST, got \(describe(node))")
            return nil
        }
        return text
    }

    private mutating func fallbackSection(_ node: YAMLNode?) -> FallbackConfig {
        var fallback = FallbackConfig()
        guard let map = mapping(node, "fallback", allowed: ["when", "on", "unsafe_methods", "idempotency_header"]) else { return fallback }
        // `when` is the unambiguous spelling: YAML 1.1 tools (PyYAML, yaml.v2 templating) read a
        // bare `on` key as the boolean true. `on` stays accepted; both at once is a mistake.
        if let onNode = map["on"], map["when"] != nil {
            fail(onNode.mark, "fallback.on and fallback.when are the same setting; keep fallback.when")
        }
        let key = map["when"] != nil ? "when" : "on"
        if let triggers = list(map[key], "fallback.\(key)") {
            fallback.on = Set(
                triggers.enumerated().compactMap { index, node in
                    choice(node, "fallback.\(key)[\(index)]", as: FallbackTrigger.self)
                })
        }
        if let policy = choice(map["unsafe_methods"], "fallback.unsafe_methods", as: UnsafeMethodPolicy.self) {
            fallback.unsafeMethods = policy
        }
        if let header = token(map["idempotency_header"], "fallback.idempotency_header") {
            fallback.idempotencyHeader = header
        }
        return fallback
    }

    private mutating func limitsSection(_ node: YAMLNode?) -> Limits {
        var limits = Limits()
        let keys = [
            "max_request_body", "max_header_bytes", "max_uri_bytes", "header_read_timeout", "body_read_timeout", "idle_timeout", "max_connections",
        ]
        guard let map = mapping(node, "limits", allowed: keys) else { return limits }
        if let value = size(map["max_request_body"], "limits.max_request_body") { limits.maxRequestBody = value }
        if let value = size(map["max_header_bytes"], "limits.max_header_bytes") { limits.maxHeaderBytes = value }
        if let value = size(map["max_uri_bytes"], "limits.max_uri_bytes") { limits.maxURIBytes = value }
        if let value = duration(map["header_read_timeout"], "limits.header_read_timeout") { limits.headerReadTimeout = value }
        if let value = duration(map["body_read_timeout"], "limits.body_read_timeout") { limits.bodyReadTimeout = value }
        if let value = duration(map["idle_timeout"], "limits.idle_timeout") { limits.idleTimeout = value }
        if let value = integer(map["max_connections"], "limits.max_connections", in: 1...1_000_000) { limits.maxConnections = value }
        return limits
    }
}
