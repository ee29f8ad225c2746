/// The `schedule` and `guardrails` sections: the automatic ramp and its go/no-go criteria.
extension ConfigDecoder {
    mutating func scheduleSection(_ node: YAMLNode) -> Schedule? {
        guard let map = mapping(node, "schedule", allowed: ["start", "steps"]) else { return nil }
        let start = required(map["start"], in: map, "schedule.start").flatMap { timestamp($0, "schedule.start") }
        var steps: [Schedule.Step] = []
        if let stepsNode = required(map["steps"], in: map, "schedule.steps"), let items = list(stepsNode, "schedule.steps") {
            if items.isEmpty { fail(stepsNode.mark, "schedule.steps must have at least one step") }
            for (index, item) in items.enumerated() {
                let path = "schedule.steps[\(index)]"
                guard let stepMap = mapping(item, path, allowed: ["percent", "hold", "approve", "shadow"]) else { continue }
                let shadow = bool(stepMap["shadow"], "\(path).shadow") ?? false
                // A shadow step keeps shoppers on old: its percent is 0 unless written.
                let percent =
                    shadow && stepMap["percent"] == nil
                    ? 0
                    : required(stepMap["percent"], in: stepMap, "\(path).percent").flatMap { integer($0, "\(path).percent", in: 0...100) }
                let isLast = index == items.count - 1
                var hold: Duration?
                if isLast {
                    if let holdNode = stepMap["hold"] { fail(holdNode.mark, "\(path).hold: the last step has no hold") }
                } else {
                    hold = required(stepMap["hold"], in: stepMap, "\(path).hold").flatMap { duration($0, "\(path).hold") }
                }
                let approve = bool(stepMap["approve"], "\(path).approve") ?? false
                if isLast, approve, let approveNode = stepMap["approve"] {
                    fail(approveNode.mark, "\(path).approve: the last step has no next step to approve")
                }
                if let percent, let previous = steps.last, percent < previous.percent, let percentNode = stepMap["percent"] {
                    fail(percentNode.mark, "\(path).percent must not be lower than the step before (\(previous.percent))")
                }
                if let percent { steps.append(Schedule.Step(percent: percent, hold: hold, approve: approve, shadow: shadow)) }
            }
        }
        guard let start, !steps.isEmpty else { return nil }
        return Schedule(start: start, steps: steps)
    }

    mutating func guardrailsSection(_ node: YAMLNode) -> Guardrails? {
        let keys = ["window", "min_requests", "max_error_rate", "max_p99_ratio", "conversion", "prometheus", "action"]
        guard let map = mapping(node, "guardrails", allowed: keys) else { return nil }
        var guardrails = Guardrails()
        if let value = duration(map["window"], "guardrails.window") { guardrails.window = value }
        if let value = integer(map["min_requests"], "guardrails.min_requests", in: 1...Int.max) { guardrails.minRequests = value }
        if let value = number(map["max_error_rate"], "guardrails.max_error_rate", in: 0...1) { guardrails.maxErrorRate = value }
        let positive: ClosedRange<Double> = 0...Double.greatestFiniteMagnitude
        if let value = number(map["max_p99_ratio"], "guardrails.max_p99_ratio", in: positive, minExclusive: true) {
            guardrails.maxP99Ratio = value
        }
        if let value = choice(map["action"], "guardrails.action", as: GuardrailAction.self) { guardrails.action = value }
        if let conversionNode = map["conversion"] {
            guardrails.conversion = conversionSection(conversionNode)
        }
        if let prometheusNode = map["prometheus"] {
            guardrails.prometheus = prometheusChecksSection(prometheusNode)
        }
        return guardrails
    }

    private mutating func conversionSection(_ node: YAMLNode) -> Conversion? {
        guard let map = mapping(node, "guardrails.conversion", allowed: ["start", "done", "min_ratio", "confidence"]) else { return nil }
        let start = required(map["start"], in: map, "guardrails.conversion.start").flatMap { requestMatch($0, "guardrails.conversion.start") }
        let done = required(map["done"], in: map, "guardrails.conversion.done").flatMap { requestMatch($0, "guardrails.conversion.done") }
        let minRatio = number(map["min_ratio"], "guardrails.conversion.min_ratio", in: 0...1, minExclusive: true)
        let confidence = number(map["confidence"], "guardrails.conversion.confidence", in: 0.5...0.9999)
        guard let start, let done else { return nil }
        var conversion = Conversion(start: start, done: done)
        if let minRatio { conversion.minRatio = minRatio }
        if let confidence { conversion.confidence = confidence }
        return conversion
    }

    private mutating func requestMatch(_ node: YAMLNode, _ path: String) -> RequestMatch? {
        guard let map = mapping(node, path, allowed: ["path_prefix", "method"]) else { return nil }
        let prefix = required(map["path_prefix"], in: map, "\(path).path_prefix").flatMap { pathPrefix($0, "\(path).path_prefix") }
        let methodName = map["method"].flatMap { method($0, "\(path).method") }
        return prefix.map { RequestMatch(pathPrefix: $0, method: methodName) }
    }
}
