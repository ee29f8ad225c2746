import Foundation
import Gateway
import GatewayCore
import NIOConcurrencyHelpers
import NIOHTTP1
import Testing

/// OpenTelemetry traces with a real OTLP/HTTP receiver (a server in the test that collects what
/// swift-otel POSTs, in OTLP's JSON form): a request that fell back is one server span and two
/// client spans with the flag's attributes, and each upstream saw a `traceparent` whose parent
/// is its attempt's span.
@Suite("OpenTelemetry tracing", .timeLimit(.minutes(1)))
struct TracingTests {
    struct ExportedSpan {
        var traceID: String
        var spanID: String
        var parentSpanID: String
        var name: String
        var kind: Int
        var attributes: [String: String]
    }

    /// OTLP JSON carries ids as base64 (protobuf's JSON form of bytes) or hex; both to hex.
    static func hex(_ id: String) -> String {
        if id.count == 32 || id.count == 16, id.allSatisfy(\.isHexDigit) { return id.lowercased() }
        return Data(base64Encoded: id).map { $0.map { String(format: "%02x", $0) }.joined() } ?? id
    }

    static func spans(in bodies: [[UInt8]]) -> [ExportedSpan] {
        var spans: [ExportedSpan] = []
        for body in bodies {
            guard let json = try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any] else { continue }
            for resource in json["resourceSpans"] as? [[String: Any]] ?? [] {
                for scope in resource["scopeSpans"] as? [[String: Any]] ?? [] {
                    for span in scope["spans"] as? [[String: Any]] ?? [] {
                        var attributes: [String: String] = [:]
                        for attribute in span["attributes"] as? [[String: Any]] ?? [] {
                            guard let key = attribute["key"] as? String, let value = attribute["value"] as? [String: Any] else { continue }
                            attributes[key] = value.values.first.map { "\($0)" }
                        }
                        spans.append(
                            ExportedSpan(
                                traceID: hex(span["traceId"] as? String ?? ""), spanID: hex(span["spanId"] as? String ?? ""),
                                parentSpanID: hex(span["parentSpanId"] as? String ?? ""), name: span["name"] as? String ?? "",
                                kind: span["kind"] as? Int ?? 0, attributes: attributes))
                    }
                }
            }
        }
        return spans
    }

    /// `traceparent`'s trace id and parent (span) id.
    static func parts(_ traceparent: String?) -> (trace: String, parent: String)? {
        guard let parts = traceparent?.split(separator: "-"), parts.count == 4 else { return nil }
        return (String(parts[1]), String(parts[2]))
    }

    @Test func aFallenBackRequestIsAServerSpanAndTwoClientSpansAndTheUpstreamsSeeTheirParents() async throws {
        let collector = try await TestUpstream.start(
            "otlp", behavior: .respond(status: 200, body: "{}", headers: [("Content-Type", "application/json")]))
        let (logger, lines) = CapturingLogHandler.logger()
        let clientTrace = "0af7651916cd43dd8448eb211c80319c"
        let clientSpan = "b7ad6b7169203331"
        try await Harness.with(
            configure: {
                $0.flag.percent = 100
                $0.accessLog = true
                var tracing = TracingConfig(otlpEndpoint: collector.url + "/v1/traces")
                tracing.wireFormat = .json
                $0.tracing = tracing
            }, accessLogger: logger
        ) { h async throws in
            h.new.set(.respond(status: 503, body: nil, headers: []))
            let answer = try await h.get("/checkout", headers: [("X-User-Id", "u"), ("traceparent", "00-\(clientTrace)-\(clientSpan)-01")])
            #expect(answer.header("X-Checkout-Variant") == "old", "new's 503 fell back to old")

            let deadline = ContinuousClock.now + .seconds(20)
            var spans: [ExportedSpan] = []
            while ContinuousClock.now < deadline {
                spans = Self.spans(in: collector.requests.map(\.body)).filter { $0.traceID == clientTrace }
                if spans.count >= 3 { break }
                try await Task.sleep(for: .milliseconds(50))
            }
            #expect(collector.requests.allSatisfy { $0.uri == "/v1/traces" && $0.method == "POST" })
            let server = try #require(spans.first { $0.kind == 2 }, "a server span: \(spans)")
            #expect(server.parentSpanID == clientSpan, "the client's span is the server span's parent")
            #expect(server.attributes["feature_flag.key"] == "new-checkout")
            #expect(server.attributes["feature_flag.result.variant"] == "new")
            #expect(server.attributes["checkout_gateway.decision_reason"] == "rollout")
            #expect(server.attributes["checkout_gateway.fallback.cause"] == "5xx")
            #expect(server.attributes["checkout_gateway.served_by"] == "old")

            let attempts = spans.filter { $0.kind == 3 }
            #expect(attempts.count == 2, "one client span per attempt: \(spans.map(\.name))")
            #expect(attempts.allSatisfy { $0.parentSpanID == server.spanID })
            let newAttempt = try #require(attempts.first { $0.attributes["checkout_gateway.upstream"] == "new" })
            let oldAttempt = try #require(attempts.first { $0.attributes["checkout_gateway.upstream"] == "old" })
            #expect(newAttempt.attributes["error.type"] == "503")
            #expect(oldAttempt.attributes["checkout_gateway.fallback.cause"] == "5xx")
            #expect(oldAttempt.attributes["http.response.status_code"] == "200")

            // Each upstream saw its own attempt as the parent, in the client's trace.
            let newSaw = try #require(Self.parts(h.new.requests.last?.headers.first(name: "traceparent")))
            let oldSaw = try #require(Self.parts(h.old.requests.last?.headers.first(name: "traceparent")))
            #expect(newSaw.trace == clientTrace && newSaw.parent == newAttempt.spanID)
            #expect(oldSaw.trace == clientTrace && oldSaw.parent == oldAttempt.spanID)
            #expect(h.new.requests.last?.headers["traceparent"].count == 1, "the client's own traceparent is replaced, not passed on too")
        }
        let entry = try #require(lines.withLockedValue { $0 }.first)
        let json = try #require(try JSONSerialization.jsonObject(with: Data(entry.utf8)) as? [String: Any])
        #expect(json["trace_id"] as? String == clientTrace, "the access log names the trace")
        await collector.shutdown()
    }

    @Test func withoutTracingNothingIsAddedAndTheClientsTraceparentPassesThrough() async throws {
        let (logger, lines) = CapturingLogHandler.logger()
        try await Harness.with(
            configure: {
                $0.flag.percent = 100; $0.accessLog = true
            }, accessLogger: logger
        ) { h async throws in
            let traceparent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
            _ = try await h.get("/checkout", headers: [("X-User-Id", "u"), ("traceparent", traceparent)])
            #expect(h.new.requests.last?.headers["traceparent"] == [traceparent])
            _ = try await h.get("/checkout", headers: [("X-User-Id", "u")])
            #expect(h.new.requests.last?.headers["traceparent"] == [])
        }
        #expect(lines.withLockedValue { $0 }.allSatisfy { !$0.contains("trace_id") })
    }
}
