/// `shadow`: for a share of the shoppers served by old, a copy of each safe request goes to new
/// after the shopper's answer is sent; new's answer is compared with old's and judged by the
/// guardrails, and never reaches anyone.
public struct ShadowConfig: Sendable, Equatable {
    /// The methods that may ever be mirrored: a copy of anything else could change state on new.
    public static let safeMethods: Set<String> = ["GET", "HEAD", "OPTIONS"]

    public var percent: Int
    public var methods: Set<String> = ["GET", "HEAD"]
    /// Mirrored requests in flight at once, all workers together; past it copies are dropped.
    public var maxConcurrent = 32

    public init(percent: Int) {
        self.percent = percent
    }
}

extension ConfigDecoder {
    mutating func shadowSection(_ node: YAMLNode) -> ShadowConfig? {
        guard let map = mapping(node, "shadow", allowed: ["percent", "methods", "max_concurrent"]) else { return nil }
        let percent = required(map["percent"], in: map, "shadow.percent").flatMap { integer($0, "shadow.percent", in: 0...100) }
        var methods: Set<String>?
        if let items = map["methods"].flatMap({ list($0, "shadow.methods") }) {
            methods = []
            for item in items {
                guard let method = string(item, "shadow.methods") else { continue }
                if ShadowConfig.safeMethods.contains(method) {
                    methods?.insert(method)
                } else {
                    fail(item.mark, "shadow.methods: \(method) is not safe to mirror (a copy could change state on new); only GET, HEAD, OPTIONS")
                }
            }
        }
        let maxConcurrent = integer(map["max_concurrent"], "shadow.max_concurrent", in: 1...10_000)
        guard let percent else { return nil }
        var shadow = ShadowConfig(percent: percent)
        if let methods { shadow.methods = methods }
        if let maxConcurrent { shadow.maxConcurrent = maxConcurrent }
        return shadow
    }
}
