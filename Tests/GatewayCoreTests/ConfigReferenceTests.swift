import Foundation
import GatewayCore
import Testing

/// docs/configuration.md lists every key the loader accepts. The loader is asked for its keys
/// the way a user meets them: an unknown key in each section is rejected with "expected one of:
/// …", and each key named there must appear in the reference on a line about that section.
@Suite("docs/configuration.md documents every key", .timeLimit(.minutes(1)))
struct ConfigReferenceTests {
    static let reference: [String] = {
        let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let text = (try? String(contentsOf: repository.appendingPathComponent("docs/configuration.md"), encoding: .utf8)) ?? ""
        return text.split(separator: "\n").map(String.init)
    }()

    static let upstreams = "upstreams: { old: { url: http://127.0.0.1:1 }, new: { url: http://127.0.0.1:2 } }"

    /// A section as the reference names it, and a file with an unknown key `zz_probe` in it.
    static let probes: [(section: String, yaml: String)] = [
        ("", "version: 1\nzz_probe: 1\n\(upstreams)\nflag: { key: f }"),
        ("admin.", "version: 1\nadmin: { zz_probe: 1 }\n\(upstreams)\nflag: { key: f }"),
        (
            "upstreams.",
            "version: 1\nupstreams: { zz_probe: 1, old: { url: http://127.0.0.1:1 }, new: { url: http://127.0.0.1:2 } }\nflag: { key: f }"
        ),
        (
            "upstreams.",
            "version: 1\nupstreams: { old: { url: http://127.0.0.1:1, zz_probe: 1 }, new: { url: http://127.0.0.1:2 } }\nflag: { key: f }"
        ),
        ("routes[]", "version: 1\n\(upstreams)\nroutes: [{ path_prefix: /a, zz_probe: 1 }]\nflag: { key: f }"),
        ("flag.", "version: 1\n\(upstreams)\nflag: { key: f, zz_probe: 1 }"),
        ("flag.identity", "version: 1\n\(upstreams)\nflag: { key: f, identity: [{ header: X, zz_probe: 1 }] }"),
        ("flag.anonymous_cookie", "version: 1\n\(upstreams)\nflag: { key: f, anonymous_cookie: { zz_probe: 1 } }"),
        ("flag.targeting", "version: 1\n\(upstreams)\nflag: { key: f, targeting: [{ variant: new, users: [a], zz_probe: 1 }] }"),
        ("flag.targeting", "version: 1\n\(upstreams)\nflag: { key: f, targeting: [{ variant: new, header: { name: X, equals: y, zz_probe: 1 } }] }"),
        ("flag.test_override", "version: 1\n\(upstreams)\nflag: { key: f, test_override: { zz_probe: 1 } }"),
        ("fallback.", "version: 1\n\(upstreams)\nflag: { key: f }\nfallback: { zz_probe: 1 }"),
        (
            "schedule.",
            "version: 1\n\(upstreams)\nflag: { key: f }\nschedule: { start: '2026-01-01T00:00:00Z', steps: [{ percent: 100 }], zz_probe: 1 }"
        ),
        (
            "schedule.steps",
            "version: 1\n\(upstreams)\nflag: { key: f }\nschedule: { start: '2026-01-01T00:00:00Z', steps: [{ percent: 100, zz_probe: 1 }] }"
        ),
        ("guardrails.", "version: 1\n\(upstreams)\nflag: { key: f }\nguardrails: { zz_probe: 1 }"),
        ("guardrails.conversion", "version: 1\n\(upstreams)\nflag: { key: f }\nguardrails: { conversion: { zz_probe: 1 } }"),
        (
            "guardrails.conversion",
            "version: 1\n\(upstreams)\nflag: { key: f }\nguardrails: { conversion: { start: { path_prefix: /a, zz_probe: 1 } } }"
        ),
        ("notify[]", "version: 1\n\(upstreams)\nflag: { key: f }\nnotify: [{ url: http://127.0.0.1:1/h, zz_probe: 1 }]"),
        (
            "guardrails.prometheus",
            "version: 1\n\(upstreams)\nflag: { key: f }\nguardrails: { prometheus: { url: http://p:9090, zz_probe: 1, checks: [{ name: a, query: up, max: 1 }] } }"
        ),
        (
            "guardrails.prometheus.checks",
            "version: 1\n\(upstreams)\nflag: { key: f }\nguardrails: { prometheus: { url: http://p:9090, checks: [{ name: a, query: up, max: 1, zz_probe: 1 }] } }"
        ),
        ("shadow.", "version: 1\n\(upstreams)\nflag: { key: f }\nshadow: { percent: 1, zz_probe: 1 }"),
        ("tracing.", "version: 1\n\(upstreams)\nflag: { key: f }\ntracing: { otlp_endpoint: http://c:4318/v1/traces, zz_probe: 1 }"),
        ("limits.", "version: 1\n\(upstreams)\nflag: { key: f }\nlimits: { zz_probe: 1 }"),
        ("state.", "version: 1\n\(upstreams)\nflag: { key: f }\nstate: { etcd: { endpoints: [http://127.0.0.1:2379] }, zz_probe: 1 }"),
        ("state.etcd.", "version: 1\n\(upstreams)\nflag: { key: f }\nstate: { etcd: { endpoints: [http://127.0.0.1:2379], zz_probe: 1 } }"),
        (
            "state.etcd.tls",
            "version: 1\n\(upstreams)\nflag: { key: f }\nstate: { etcd: { endpoints: [https://127.0.0.1:2379], tls: { zz_probe: 1 } } }"
        ),
    ]

    /// The keys the loader names for the probe's section.
    static func acceptedKeys(_ yaml: String) -> [String] {
        do {
            _ = try ConfigLoader.parse(yaml, file: "probe.yaml")
            return []
        } catch {
            guard let message = error.problems.map(\.message).first(where: { $0.contains("unknown key 'zz_probe'") }),
                let list = message.range(of: "expected one of: ")
            else { return [] }
            return message[list.upperBound...].split(separator: ", ").map(String.init)
        }
    }

    @Test(arguments: probes.indices)
    func everyAcceptedKeyIsDocumented(probe: Int) {
        let (section, yaml) = Self.probes[probe]
        let keys = Self.acceptedKeys(yaml)
        #expect(!keys.isEmpty, "the probe in '\(section)' was not rejected as an unknown key")
        let lines = Self.reference.filter { $0.hasPrefix("| `") && $0.contains("`\(section)") }
        for key in keys {
            let documented = lines.contains { line in
                line.range(of: "\\b\(key)\\b", options: .regularExpression) != nil
            }
            #expect(documented, "docs/configuration.md has no line for '\(section)\(key)'")
        }
    }
}
