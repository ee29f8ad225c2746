import Foundation
import GatewayCore
import Testing

@Suite("gateway.yaml loading and validation")
struct ConfigLoaderTests {
    static let minimal = """
        version: 1
        upstreams:
          old:
            url: http://127.0.0.1:9001
          new:
            url: http://127.0.0.1:9002
        flag:
          key: new-checkout
        """

    private func problems(_ text: String) -> [ConfigProblem] {
        configProblems(text)
    }

    private func single(_ text: String) -> ConfigProblem? {
        let found = problems(text)
        #expect(found.count == 1, "expected one problem, got \(found)")
        return found.first
    }

    @Test func minimalFileGetsEveryDefault() throws {
        let config = try ConfigLoader.parse(Self.minimal, file: "gateway.yaml")
        #expect(config.listen == HostPort(host: "0.0.0.0", port: 8080))
        #expect(config.admin.listen == HostPort(host: "127.0.0.1", port: 9901))
        #expect(config.admin.tokenEnv == "GATEWAY_ADMIN_TOKEN")
        #expect(config.upstreams.old.connectTimeout == .milliseconds(500))
        #expect(config.upstreams.old.timeout == .seconds(10))
        #expect(config.upstreams.new.connectTimeout == .milliseconds(250))
        #expect(config.upstreams.new.timeout == .seconds(3))
        #expect(config.upstreams.new.maxConnections == 64)
        #expect(config.routes.isEmpty)
        #expect(config.flag.groupID == "new-checkout")
        #expect(config.flag.enabled == false)
        #expect(config.flag.percent == 0)
        #expect(config.flag.identity == [.header("X-User-Id"), .cookie("uid")])
        #expect(config.flag.anonymousCookie == AnonymousCookie())
        #expect(config.flag.testOverride == nil)
        #expect(config.fallback == FallbackConfig())
        #expect(config.schedule == nil)
        #expect(config.guardrails == nil)
        #expect(config.limits == Limits())
        #expect(config.stateFile == "./gateway-state.json")
        #expect(config.accessLog)
    }

    @Test func repositoryExampleIsValid() throws {
        let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../gateway.yaml").path
        let config = try ConfigLoader.load(path: path)
        #expect(config.routes.count == 2)
        #expect(config.flag.targeting.count == 3)
    }

    @Test func everyKeyOfTheSchemaIsRead() throws {
        let text = """
            version: 1
            listen: "[::1]:8081"
            admin: { listen: 127.0.0.2:9902, token_env: MY_TOKEN }
            upstreams:
              old: { url: "http://old.internal:81/base/", connect_timeout: 1s, timeout: 20s, max_connections: 8 }
              new: { url: https://new.internal, connect_timeout: 100ms, timeout: 1.5s, max_connections: 4 }
            routes:
              - path_prefix: /api/checkout
                methods: [GET, POST]
            flag:
              key: k
              group_id: g
              enabled: true
              percent: 10
              identity: [{ cookie: sid }]
              anonymous_cookie: { name: anon, max_age: 1h, secure: true }
              targeting:
                - { variant: old, users: [a, b] }
                - { variant: new, header: { name: X-Cohort, equals: beta } }
              public_ofrep: true
              test_override: { header: X-Force, token_env: FORCE_TOKEN }
            fallback: { on: [timeout], unsafe_methods: never, idempotency_header: X-Idem }
            schedule:
              start: 2026-12-01T09:00:00Z
              steps:
                - { percent: 1, hold: 30m }
                - { percent: 100 }
            guardrails:
              window: 1m
              min_requests: 10
              max_error_rate: 0.05
              max_p99_ratio: 1.5
              conversion:
                start: { path_prefix: /checkout, method: GET }
                done: { path_prefix: /api/checkout/orders, method: POST }
                min_ratio: 0.8
              action: pause
            limits: { max_request_body: 2MiB, max_header_bytes: 16KiB, max_uri_bytes: 4KiB, header_read_timeout: 5s, idle_timeout: 30s, max_connections: 100 }
            state_file: /tmp/state.json
            access_log: false
            """
        let config = try ConfigLoader.parse(text, file: "gateway.yaml")
        #expect(config.listen == HostPort(host: "::1", port: 8081))
        #expect(config.admin.listen == HostPort(host: "127.0.0.2", port: 9902))
        #expect(config.admin.tokenEnv == "MY_TOKEN")
        #expect(config.upstreams.old.url.prefix == "http://old.internal:81/base")
        #expect(config.upstreams.old.maxConnections == 8)
        #expect(config.upstreams.new.timeout == .milliseconds(1500))
        #expect(config.upstreams.new.url.port == 443)
        #expect(config.routes == [Route(pathPrefix: "/api/checkout", methods: ["GET", "POST"])])
        #expect(config.flag.groupID == "g")
        #expect(config.flag.identity == [.cookie("sid")])
        #expect(config.flag.anonymousCookie.maxAge == .seconds(3600))
        #expect(config.flag.targeting[1].header == HeaderCondition(name: "X-Cohort", equals: "beta"))
        #expect(config.flag.publicOFREP)
        #expect(config.flag.testOverride?.tokenEnv == "FORCE_TOKEN")
        #expect(config.fallback.on == [.timeout])
        #expect(config.fallback.unsafeMethods == .never)
        #expect(config.schedule?.steps == [Schedule.Step(percent: 1, hold: .seconds(1800)), Schedule.Step(percent: 100, hold: nil)])
        #expect(config.schedule?.start == Date(timeIntervalSince1970: 1_796_115_600))
        #expect(config.guardrails?.action == .pause)
        #expect(config.guardrails?.conversion?.done == RequestMatch(pathPrefix: "/api/checkout/orders", method: "POST"))
        #expect(config.limits.maxRequestBody == 2 << 20)
        #expect(config.limits.maxConnections == 100)
        #expect(config.stateFile == "/tmp/state.json")
        #expect(!config.accessLog)
    }

    // MARK: - Each kind of mistake, with its line and column

    @Test func unknownKey() {
        let problem = single(Self.minimal + "\n  percnt: 5")
        #expect(problem?.mark == SourceMark(line: 9, column: 3))
        #expect(problem?.message.hasPrefix("unknown key 'percnt' in flag") == true)
    }

    @Test func percentOutOfRangeMatchesTheDesignExample() throws {
        let problem = single(Self.minimal + "\n  percent: 150")
        #expect(problem?.mark == SourceMark(line: 9, column: 12))
        #expect(problem?.message == "flag.percent must be a whole number from 0 to 100, got 150")
        do {
            _ = try ConfigLoader.parse(Self.minimal + "\n  percent: 150", file: "gateway.yaml")
            Issue.record("expected an error")
        } catch {
            #expect(error.lines == ["gateway.yaml:9:12: flag.percent must be a whole number from 0 to 100, got 150"])
        }
    }

    @Test func wrongType() {
        let problem = single(Self.minimal + "\n  enabled: yes-please")
        #expect(problem?.mark == SourceMark(line: 9, column: 12))
        #expect(problem?.message == "flag.enabled must be true or false, got yes-please")
        let listInsteadOfMapping = single(Self.minimal + "\nlimits: [1, 2]")
        #expect(listInsteadOfMapping?.mark == SourceMark(line: 9, column: 9))
        #expect(listInsteadOfMapping?.message == "limits must be a mapping, got a list")
    }

    @Test func badURL() {
        let text = Self.minimal.replacingOccurrences(of: "http://127.0.0.1:9002", with: "ftp://127.0.0.1:9002")
        let problem = single(text)
        #expect(problem?.mark == SourceMark(line: 6, column: 10))
        #expect(problem?.message.hasPrefix("upstreams.new.url must be an http:// or https:// URL") == true)
    }

    @Test func badDuration() {
        let text = Self.minimal.replacingOccurrences(
            of: "    url: http://127.0.0.1:9001", with: "    url: http://127.0.0.1:9001\n    timeout: 10 seconds")
        let problem = single(text)
        #expect(problem?.mark == SourceMark(line: 5, column: 14))
        #expect(problem?.message == "upstreams.old.timeout must be a positive duration like 250ms, 1.5s, 30m, 2h or 1d, got 10 seconds")
    }

    @Test func missingRequiredKey() {
        let text = Self.minimal.replacingOccurrences(of: "flag:\n  key: new-checkout", with: "flag:\n  enabled: true")
        let problem = single(text)
        #expect(problem?.mark == SourceMark(line: 8, column: 3))
        #expect(problem?.message == "missing required key 'flag.key'")
        let noVersion = single(Self.minimal.replacingOccurrences(of: "version: 1\n", with: ""))
        #expect(noVersion?.message == "missing required key 'version'")
    }

    @Test func duplicateKey() {
        let problem = single(Self.minimal + "\n  key: other")
        #expect(problem?.mark == SourceMark(line: 9, column: 3))
        #expect(problem?.message == "duplicate key 'key'")
    }

    @Test func yamlSyntaxError() {
        let problem = single(Self.minimal + "\n  targeting: [unclosed")
        #expect(problem?.mark.line == 9 || problem?.mark.line == 10)
        #expect(problem?.message.hasPrefix("YAML syntax error:") == true)
        let tab = single("version: 1\nflag:\n\tkey: x")
        #expect(tab?.mark == SourceMark(line: 3, column: 1))
    }

    @Test func versionMustBeOne() {
        let problem = single(Self.minimal.replacingOccurrences(of: "version: 1", with: "version: 2"))
        #expect(problem == ConfigProblem(SourceMark(line: 1, column: 10), "version must be 1, got 2"))
    }

    @Test func everyErrorOfAFileIsReportedAtOnce() {
        let text = """
            version: 1
            listen: nowhere
            upstreams:
              old:
                url: http://127.0.0.1:9001
                max_connections: 0
              new:
                url: gopher://x
            flag:
              key: new-checkout
              percent: 150
              enabled: maybe
              targeting:
                - variant: newest
                  users: [a]
                - variant: new
            fallback:
              unsafe_methods: sometimes
            limits:
              max_request_body: 1MB
            bogus: true
            """
        let found = problems(text)
        #expect(found.map(\.mark.line) == [2, 6, 8, 11, 12, 14, 16, 18, 20, 21])
        #expect(found.count == 10)
    }

    @Test func scheduleAndGuardrailMistakes() {
        let text =
            Self.minimal + """

                schedule:
                  start: tomorrow
                  steps:
                    - { percent: 10 }
                    - { percent: 5, hold: 1h }
                guardrails:
                  max_error_rate: 2
                  action: panic
                """
        let found = problems(text)
        #expect(found.map(\.mark.line) == [10, 12, 13, 13, 15, 16])
    }

    @Test func approvalGates() throws {
        let gated = try ConfigLoader.parse(
            Self.minimal + """

                schedule:
                  start: 2026-01-01T00:00:00Z
                  steps:
                    - { percent: 10, hold: 1h, approve: true }
                    - { percent: 100 }
                """, file: "gateway.yaml")
        #expect(gated.schedule?.steps.map(\.approve) == [true, false])
        let found = problems(
            Self.minimal + """

                schedule:
                  start: 2026-01-01T00:00:00Z
                  steps:
                    - { percent: 10, hold: 1h, approve: maybe }
                    - { percent: 100, approve: true }
                """)
        #expect(
            found.map(\.message) == [
                "schedule.steps[0].approve must be true or false, got maybe", "schedule.steps[1].approve: the last step has no next step to approve",
            ])
    }

    @Test func notifyTargets() throws {
        let config = try ConfigLoader.parse(
            Self.minimal + """

                notify:
                  - { url: "https://hooks.example.com/services/T0/B0/x", format: slack, events: [kill, abort] }
                  - { url: "http://127.0.0.1:9999/hook" }
                """, file: "gateway.yaml")
        #expect(config.notify.count == 2)
        #expect(config.notify[0].format == .slack && config.notify[0].events == [.kill, .abort])
        #expect(config.notify[1].format == .json && config.notify[1].events == Set(NotificationEvent.allCases))
        let found = problems(
            Self.minimal + """

                notify:
                  - { url: "ftp://x", events: [kill, explode], format: xml }
                """)
        #expect(
            found.map(\.message) == [
                "notify[0].url must be an http:// or https:// URL with a host, got ftp://x",
                "notify[0].events: unknown event 'explode'; expected one of: step, approval, breach, latch, kill, resume, abort, promote, reload_rejected",
                "notify[0].format must be json or slack, got xml",
            ])
    }

    @Test func shadowTraffic() throws {
        let config = try ConfigLoader.parse(
            Self.minimal + """

                shadow: { percent: 20 }
                schedule:
                  start: 2026-01-01T00:00:00Z
                  steps:
                    - { shadow: true, hold: 30m }
                    - { percent: 10 }
                """, file: "gateway.yaml")
        #expect(config.shadow == ShadowConfig(percent: 20))
        #expect(config.schedule?.steps.first == Schedule.Step(percent: 0, hold: .seconds(1800), shadow: true), "a shadow step keeps shoppers at 0%")
        let found = problems(Self.minimal + "\nshadow: { percent: 100, methods: [GET, POST] }")
        #expect(found.map(\.message) == ["shadow.methods: POST is not safe to mirror (a copy could change state on new); only GET, HEAD, OPTIONS"])
    }

    @Test func errorOutputHasFileLineColumnAndCaret() {
        do {
            _ = try ConfigLoader.parse(Self.minimal + "\n  percent: 150", file: "conf/gateway.yaml")
        } catch {
            #expect(error.description == "conf/gateway.yaml:9:12: flag.percent must be a whole number from 0 to 100, got 150")
            #expect(error.annotated.contains("\n      percent: 150\n               ^"))
        }
    }

    @Test func unreadableFile() {
        #expect(throws: ConfigError.self) { try ConfigLoader.load(path: "/nonexistent/gateway.yaml") }
    }
}
