import GatewayCore

/// One loaded config with everything derived from it: the flag evaluator and an upstream client
/// per variant. Requests take one reference at their start and keep it to the end, so a reload
/// never changes a request half-way.
final class ActiveConfig: Sendable {
    let config: GatewayConfig
    let evaluator: FlagEvaluator
    let oldClient: UpstreamClient
    let newClient: UpstreamClient
    /// Lower-cased request headers never forwarded: the test-override header and its token.
    let strippedHeaders: Set<String>
    /// The request headers the flag decision reads (identity, targeting, test override). A
    /// routed request that carries one of them twice is refused: the decision would read one
    /// value while the upstream sees both.
    let decisionHeaders: [String]

    /// Reuses the previous config's upstream clients (and so their kept-alive connections) for
    /// every upstream whose settings did not change.
    init(config: GatewayConfig, environment: [String: String], reusing previous: ActiveConfig? = nil) {
        self.config = config
        let overrideToken = config.flag.testOverride.flatMap { environment[$0.tokenEnv] }
        self.evaluator = FlagEvaluator(flag: config.flag, overrideToken: overrideToken)
        if let previous, previous.config.upstreams.old == config.upstreams.old {
            oldClient = previous.oldClient
        } else {
            oldClient = UpstreamClient(upstream: config.upstreams.old, name: "old")
        }
        if let previous, previous.config.upstreams.new == config.upstreams.new {
            newClient = previous.newClient
        } else {
            newClient = UpstreamClient(upstream: config.upstreams.new, name: "new")
        }
        var stripped: Set<String> = [FlagEvaluator.testTokenHeader.lowercased()]
        if let testOverride = config.flag.testOverride { stripped.insert(testOverride.header.lowercased()) }
        self.strippedHeaders = stripped
        var read: [String] = []
        for source in config.flag.identity {
            if case .header(let name) = source { read.append(name) }
        }
        read += config.flag.targeting.compactMap { $0.header?.name }
        if let testOverride = config.flag.testOverride { read += [testOverride.header, FlagEvaluator.testTokenHeader] }
        var seen = Set<String>()
        self.decisionHeaders = read.filter { seen.insert($0.lowercased()).inserted }
    }

    func client(for variant: Variant) -> CurlMultiClient {
        switch variant {
        case .old: oldClient.curl
        case .new: newClient.curl
        }
    }

    /// Stops both clients now (process shutdown), whoever still holds them.
    func shutdown() {
        oldClient.curl.shutdown()
        newClient.curl.shutdown()
    }
}
