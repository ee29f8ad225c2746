/// `guardrails.prometheus`: go/no-go checks the gateway cannot see itself (the payment
/// provider's error rate, the order service's latency), as PromQL queries against a Prometheus,
/// judged by the ramp leader with the built-in guardrails.
public struct PrometheusChecks: Sendable, Equatable {
    public struct Check: Sendable, Equatable {
        public enum Limit: Sendable, Equatable {
            /// Breach when the query's highest value is above this.
            case max(Double)
            /// Breach when the query's lowest value is below this.
            case min(Double)
        }

        public var name: String
        public var query: String
        public var limit: Limit

        public init(name: String, query: String, limit: Limit) {
            self.name = name
            self.query = query
            self.limit = limit
        }
    }

    /// The Prometheus base URL (`http://prometheus:9090`); queries go to `/api/v1/query`.
    public var url: String
    public var checks: [Check]
    /// How often the leader asks; a result older than three of these counts as no answer.
    public var interval: Duration = .seconds(15)
    public var timeout: Duration = .seconds(2)

    public init(url: String, checks: [Check]) {
        self.url = url
        self.checks = checks
    }
}

extension ConfigDecoder {
    mutating func prometheusChecksSection(_ node: YAMLNode) -> PrometheusChecks? {
        let path = "guardrails.prometheus"
        guard let map = mapping(node, path, allowed: ["url", "checks", "interval", "timeout"]) else { return nil }
        let url = required(map["url"], in: map, "\(path).url").flatMap { httpURL($0, "\(path).url")?.text }
            .map { $0.hasSuffix("/") ? String($0.dropLast()) : $0 }
        var checks: [PrometheusChecks.Check] = []
        if let checksNode = required(map["checks"], in: map, "\(path).checks"), let items = list(checksNode, "\(path).checks") {
            if items.isEmpty { fail(checksNode.mark, "\(path).checks must name at least one check") }
            for (index, item) in items.enumerated() {
                let itemPath = "\(path).checks[\(index)]"
                guard let check = mapping(item, itemPath, allowed: ["name", "query", "max", "min"]) else { continue }
                let name = required(check["name"], in: check, "\(itemPath).name").flatMap { string($0, "\(itemPath).name") }
                let query = required(check["query"], in: check, "\(itemPath).query").flatMap { string($0, "\(itemPath).query") }
                let any = -Double.greatestFiniteMagnitude...Double.greatestFiniteMagnitude
                let maximum = number(check["max"], "\(itemPath).max", in: any)
                let minimum = number(check["min"], "\(itemPath).min", in: any)
                if (check["max"] == nil) == (check["min"] == nil) {
                    fail(check.mark, "\(itemPath) needs exactly one of max or min")
                }
                if let name, let query, let limit = maximum.map({ PrometheusChecks.Check.Limit.max($0) }) ?? minimum.map({ .min($0) }) {
                    checks.append(PrometheusChecks.Check(name: name, query: query, limit: limit))
                }
            }
        }
        let interval = duration(map["interval"], "\(path).interval")
        let timeout = duration(map["timeout"], "\(path).timeout")
        guard let url, !checks.isEmpty else { return nil }
        var section = PrometheusChecks(url: url, checks: checks)
        if let interval { section.interval = interval }
        if let timeout { section.timeout = timeout }
        return section
    }
}
