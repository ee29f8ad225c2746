import GatewayCore

/// One loaded config with everything derived from it that every worker shares: the flag
/// evaluator and the header names the request path needs. Requests take one reference at their
/// start and keep it to the end, so a reload never changes a request half-way. (The upstream
/// clients are per worker: `WorkerUpstreams`.)
final class ActiveConfig: Sendable {
    let config: GatewayConfig
    let evaluator: FlagEvaluator
    /// Lower-cased request headers never forwarded: the test-override header and its token.
    let strippedHeaders: Set<String>
    /// The request headers the flag decision reads (identity, targeting, test override). A
    /// routed request that carries one of them twice is refused: the decision would read one
    /// value while the upstream sees both.
    let decisionHeaders: [String]

    /// With `tracing`, the client's trace-context fields are not passed on: each upstream
    /// attempt carries its own span's (`RequestTrace`).
    init(config: GatewayConfig, environment: [String: String], pins: CheckoutPins, tracing: Bool = false) {
        self.config = config
        let overrideToken = config.flag.testOverride.flatMap { environment[$0.tokenEnv] }
        // `pin_ttl: 0` turns pinning off: no pin is honoured or set.
        self.evaluator = FlagEvaluator(flag: config.flag, overrideToken: overrideToken, pins: config.flag.pinTTL == .zero ? nil : pins)
        var stripped: Set<String> = [FlagEvaluator.testTokenHeader.lowercased()]
        if let testOverride = config.flag.testOverride { stripped.insert(testOverride.header.lowercased()) }
        if tracing { stripped.formUnion(["traceparent", "tracestate"]) }
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
}
