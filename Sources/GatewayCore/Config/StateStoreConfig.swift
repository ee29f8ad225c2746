/// `state.etcd`: the rollout state of a fleet (kill, latch, schedule position, leader,
/// replicas, guardrail windows) in etcd, spoken to over its v3 JSON API. Absent: `state_file`.
public struct EtcdConfig: Sendable, Equatable {
    /// Tried in order, starting from the last one that answered.
    public var endpoints: [UpstreamURL]
    /// Keys live under `<prefix><flag.key>/`.
    public var prefix = "/checkout-gateway/"
    /// Per request to etcd; a watch stream is exempt.
    public var timeout: Duration = .seconds(1)
    public var tls: EtcdTLS?
    public var username: String?
    /// The environment variable holding the password of `username`.
    public var passwordEnv: String?

    public init(endpoints: [UpstreamURL]) {
        self.endpoints = endpoints
    }
}

public struct EtcdTLS: Sendable, Equatable {
    public var caFile: String?
    public var certFile: String?
    public var keyFile: String?

    public init(caFile: String? = nil, certFile: String? = nil, keyFile: String? = nil) {
        self.caFile = caFile
        self.certFile = certFile
        self.keyFile = keyFile
    }
}

/// The `state` section, then the `state.etcd` section.
extension ConfigDecoder {
    mutating func stateSection(_ node: YAMLNode) -> EtcdConfig? {
        guard let map = mapping(node, "state", allowed: ["etcd"]) else { return nil }
        guard let etcdNode = required(map["etcd"], in: map, "state.etcd") else { return nil }
        let keys = ["endpoints", "prefix", "timeout", "tls", "username", "password_env"]
        guard let etcd = mapping(etcdNode, "state.etcd", allowed: keys) else { return nil }
        var endpoints: [UpstreamURL] = []
        if let items = required(etcd["endpoints"], in: etcd, "state.etcd.endpoints").flatMap({ list($0, "state.etcd.endpoints") }) {
            if items.isEmpty { fail(etcdNode.mark, "state.etcd.endpoints must name at least one etcd URL") }
            for (index, item) in items.enumerated() {
                guard let text = string(item, "state.etcd.endpoints[\(index)]") else { continue }
                guard let url = UpstreamURL(text), url.basePath.isEmpty else {
                    fail(
                        item.mark,
                        "state.etcd.endpoints[\(index)] must be an http:// or https:// URL of an etcd client port without a path, got \(text)")
                    continue
                }
                endpoints.append(url)
            }
        }
        var config = EtcdConfig(endpoints: endpoints)
        if let prefix = string(etcd["prefix"], "state.etcd.prefix") {
            if prefix.hasPrefix("/") && prefix.hasSuffix("/") {
                config.prefix = prefix
            } else {
                fail(etcd["prefix"]!.mark, "state.etcd.prefix must start and end with /, got \(prefix)")
            }
        }
        if let timeout = duration(etcd["timeout"], "state.etcd.timeout") { config.timeout = timeout }
        if let tls = mapping(etcd["tls"], "state.etcd.tls", allowed: ["ca_file", "cert_file", "key_file"]) {
            config.tls = EtcdTLS(
                caFile: string(tls["ca_file"], "state.etcd.tls.ca_file"), certFile: string(tls["cert_file"], "state.etcd.tls.cert_file"),
                keyFile: string(tls["key_file"], "state.etcd.tls.key_file")
            )
        }
        config.username = string(etcd["username"], "state.etcd.username")
        config.passwordEnv = envName(etcd["password_env"], "state.etcd.password_env")
        if config.username != nil && config.passwordEnv == nil {
            fail(etcdNode.mark, "state.etcd.username needs state.etcd.password_env: the environment variable that holds the password")
        }
        return endpoints.isEmpty ? nil : config
    }
}
