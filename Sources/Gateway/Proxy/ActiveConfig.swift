import GatewayCore

/// One loaded config with everything derived from it: the flag evaluator and an upstream client
/// per variant. Requests take one reference at their start and keep it to the end, so a reload
/// never changes a request half-way.
final class ActiveConfig: Sendable {
    let config: GatewayConfig
    let evaluator: FlagEvaluator
    let oldClient: CurlMultiClient
    let newClient: CurlMultiClient
    /// Lower-cased request headers never forwarded: the test-override header and its token.
    let strippedHeaders: Set<String>

    init(config: GatewayConfig, environment: [String: String]) {
        self.config = config
        let overrideToken = config.flag.testOverride.flatMap { environment[$0.tokenEnv] }
        self.evaluator = FlagEvaluator(flag: config.flag, overrideToken: overrideToken)
        self.oldClient = CurlMultiClient(upstream: config.upstreams.old, name: "old")
        self.newClient = CurlMultiClient(upstream: config.upstreams.new, name: "new")
        var stripped: Set<String> = [FlagEvaluator.testTokenHeader.lowercased()]
        if let testOverride = config.flag.testOverride { stripped.insert(testOverride.header.lowercased()) }
        self.strippedHeaders = stripped
    }

    func client(for variant: Variant) -> CurlMultiClient {
        switch variant {
        case .old: oldClient
        case .new: newClient
        }
    }

    func shutdown() {
        oldClient.shutdown()
        newClient.shutdown()
    }
}
