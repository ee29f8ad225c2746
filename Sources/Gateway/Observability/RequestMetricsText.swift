import GatewayCore

/// The request-path metric families, summed over every worker's `CounterBlock` and written in
/// Prometheus text format under the names of the README's "Admin listener". Every series with
/// a fixed set of labels is there from the start at zero (alerts watch them with `increase()`);
/// `gateway_requests_total` and `gateway_rejected_requests_total` show a status code once it
/// has been answered.
struct RequestMetricsText {
    typealias Layout = WorkerStats.Layout
    private var sums: [Int]

    init(blocks: [CounterBlock]) {
        sums = [Int](repeating: 0, count: Layout.windows)
        for block in blocks {
            for index in 0..<Layout.windows { sums[index] &+= block.load(index) }
        }
    }

    private static let variants = [Variant.old, .new]
    private static let outcomes = ["ok", "fallback", "error"]

    func render(openConnections: Int, into output: inout [UInt8]) {
        var text = ""
        text.reserveCapacity(4096)
        family(&text, "gateway_requests_total", "counter", "Requests answered, by the variant that served them, outcome and status.")
        for (v, variant) in Self.variants.enumerated() {
            for (o, outcome) in Self.outcomes.enumerated() {
                let base = Layout.requests + (v * Layout.outcomes + o) * Layout.codes
                for code in 0..<Layout.codes where sums[base + code] > 0 {
                    sample(
                        &text, "gateway_requests_total", [("variant", variant.rawValue), ("outcome", outcome), ("code", String(code))],
                        sums[base + code])
                }
            }
        }
        histogram(
            &text, "gateway_request_duration_seconds", "Time from a request's head to its answer.", label: "variant", at: Layout.requestDurations)

        family(&text, "gateway_upstream_requests_total", "counter", "Attempts on each upstream, by result; resent counts libcurl's own re-sends.")
        for (v, variant) in Self.variants.enumerated() {
            let base = Layout.upstreamRequests + v * Layout.upstreamResults.count
            for (r, result) in Layout.upstreamResults.enumerated() {
                sample(&text, "gateway_upstream_requests_total", [("upstream", variant.rawValue), ("result", result)], sums[base + r])
            }
        }
        histogram(&text, "gateway_upstream_duration_seconds", "Time of one attempt on an upstream.", label: "upstream", at: Layout.upstreamDurations)

        family(&text, "gateway_fallbacks_total", "counter", "Requests replayed on old after new failed, by cause.")
        for (c, cause) in Layout.fallbackCauses.enumerated() {
            sample(&text, "gateway_fallbacks_total", [("cause", cause)], sums[Layout.fallbacks + c])
        }
        family(&text, "gateway_rejected_requests_total", "counter", "Requests the gateway answered itself without forwarding (bad input).")
        for code in 0..<Layout.codes where sums[Layout.rejected + code] > 0 {
            sample(&text, "gateway_rejected_requests_total", [("code", String(code))], sums[Layout.rejected + code])
        }
        family(&text, "gateway_refused_connections_total", "counter", "Client connections closed at once because limits.max_connections was reached.")
        sample(&text, "gateway_refused_connections_total", [], sums[Layout.refused])
        family(&text, "gateway_pinned_requests_total", "counter", "Requests sent to new by a checkout pin although the percent gave old.")
        sample(&text, "gateway_pinned_requests_total", [], sums[Layout.pinned])
        family(
            &text, "gateway_shadow_requests_total", "counter",
            "Requests mirrored to new (shadow), by how new's answer compared with old's, or dropped under pressure.")
        for result in ShadowMirror.Result.allCases {
            sample(&text, "gateway_shadow_requests_total", [("result", result.label)], sums[Layout.shadow + result.rawValue])
        }
        family(&text, "gateway_conversions_total", "counter", "Conversion starts and dones, by the variant that served them.")
        for (v, variant) in Self.variants.enumerated() {
            for (s, stage) in ["start", "done"].enumerated() {
                sample(&text, "gateway_conversions_total", [("variant", variant.rawValue), ("stage", stage)], sums[Layout.conversions + v * 2 + s])
            }
        }
        family(
            &text, "gateway_order_keys_total", "counter",
            "Completed orders with an idempotency key: first seen (a conversion), a repeat (a retry, not counted), or unchecked (etcd did not answer; counted)."
        )
        for verdict in FleetOrderKeys.Verdict.allCases {
            sample(&text, "gateway_order_keys_total", [("result", verdict.label)], sums[Layout.orderKeys + verdict.rawValue])
        }
        family(&text, "gateway_open_connections", "gauge", "Open client connections of the public listener.")
        sample(&text, "gateway_open_connections", [], openConnections)
        output.append(contentsOf: text.utf8)
    }

    private func family(_ text: inout String, _ name: String, _ type: String, _ help: String) {
        text += "# HELP \(name) \(help)\n# TYPE \(name) \(type)\n"
    }

    private func sample(_ text: inout String, _ name: String, _ labels: [(String, String)], _ value: Int) {
        text += name
        if !labels.isEmpty { text += "{" + labels.map { "\($0.0)=\"\($0.1)\"" }.joined(separator: ",") + "}" }
        text += " \(value)\n"
    }

    private func histogram(_ text: inout String, _ name: String, _ help: String, label: String, at first: Int) {
        family(&text, name, "histogram", help)
        let bounds = Layout.durationBoundsMs
        for (v, variant) in Self.variants.enumerated() {
            let base = first + v * Layout.histogramWidth
            let count = sums[base + bounds.count + 1]
            var cumulative = 0
            for (index, bound) in bounds.enumerated() {
                cumulative += sums[base + index]
                sample(&text, name + "_bucket", [(label, variant.rawValue), ("le", Self.seconds(milliseconds: bound))], cumulative)
            }
            sample(&text, name + "_bucket", [(label, variant.rawValue), ("le", "+Inf")], count)
            text += "\(name)_sum{\(label)=\"\(variant.rawValue)\"} \(Double(sums[base + bounds.count + 2]) / 1_000_000_000)\n"
            sample(&text, name + "_count", [(label, variant.rawValue)], count)
        }
    }

    private static func seconds(milliseconds: Int64) -> String {
        milliseconds % 1000 == 0 ? "\(milliseconds / 1000).0" : "\(Double(milliseconds) / 1000)"
    }
}
