import Foundation

/// Prometheus text output as a dictionary from `name{label=value,...}` (labels sorted) to value,
/// so tests can look samples up without caring about label order.
struct MetricsText {
    private(set) var samples: [String: Double] = [:]

    init(_ text: String) {
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            guard let space = line.lastIndex(of: " "), let value = Double(line[line.index(after: space)...]) else { continue }
            let series = line[..<space]
            if let brace = series.firstIndex(of: "{") {
                let name = series[..<brace]
                let labels = series[series.index(after: brace)..<series.index(before: series.endIndex)]
                    .split(separator: ",").map { $0.replacingOccurrences(of: "\"", with: "") }.sorted()
                samples["\(name){\(labels.joined(separator: ","))}"] = value
            } else {
                samples[String(series)] = value
            }
        }
    }

    /// The sample's value; `labels` in any order, e.g. `["variant=new", "code=200"]`.
    func value(_ name: String, _ labels: [String] = []) -> Double? {
        labels.isEmpty ? samples[name] : samples["\(name){\(labels.sorted().joined(separator: ","))}"]
    }
}
