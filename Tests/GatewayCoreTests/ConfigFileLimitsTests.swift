import Foundation
import GatewayCore
import Testing

/// A hostile or careless config must be refused with a `file:line:col` error, never crash or
/// stall the gateway: one bad ConfigMap push reaches every replica through the file poller.
@Suite("gateway.yaml limits: depth, size, encoding, scale", .timeLimit(.minutes(1)))
struct ConfigFileLimitsTests {
    private func problems(_ text: String) -> [ConfigProblem] {
        configProblems(text)
    }

    private func temporaryFile(_ bytes: [UInt8]) throws -> String {
        let path = NSTemporaryDirectory() + "gateway-\(UInt64.random(in: 0...UInt64.max)).yaml"
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }

    /// 50,000 levels crashed the process when the tree was released (stack overflow). The top
    /// level is the first of the 64 levels, so the 64th list down is the one refused.
    @Test(arguments: ["unclosed lists", "closed lists", "mappings"])
    func deepNestingIsRefusedAtTheMarkWhereItGoesTooDeep(shape: String) {
        let levels = 50_000
        let text: String
        let opener: Int
        switch shape {
        case "unclosed lists":
            text = String(repeating: "[", count: levels)
            opener = 1
        case "closed lists":
            text = String(repeating: "[", count: levels) + String(repeating: "]", count: levels)
            opener = 1
        default:
            text = String(repeating: "{a: ", count: levels) + "1" + String(repeating: "}", count: levels)
            opener = 4
        }
        let found = problems("version: 1\nflag: " + text + "\n")
        #expect(found.count == 1)
        #expect(found.first?.message == "the YAML is nested more than 64 levels deep; a gateway.yaml needs far fewer")
        #expect(found.first?.mark == SourceMark(line: 2, column: 7 + (YAMLParser.maxDepth - 1) * opener))
    }

    @Test func sixtyFourLevelsAreStillAccepted() {
        let text = "version: 1\nx: " + String(repeating: "[", count: YAMLParser.maxDepth - 1) + String(repeating: "]", count: YAMLParser.maxDepth - 1)
        #expect(problems(text).allSatisfy { !$0.message.contains("nested") })
    }

    /// A cohort of 200,000 targeted users: quadratic loading took 17 s for 40,000 (the suite's
    /// time limit catches a return of that); it must load and keep every user.
    @Test func aLargeTargetingCohortLoads() throws {
        var text = ConfigLoaderTests.minimal + "\n  targeting:\n    - variant: new\n      users:\n"
        for index in 0..<200_000 { text += "        - user-\(index)\n" }
        let config = try ConfigLoader.parse(text, file: "gateway.yaml")
        #expect(config.flag.targeting.first?.users?.count == 200_000)
        #expect(config.flag.targeting.first?.users?.contains("user-199999") == true)
    }

    @Test func aFileOverTheSizeLimitIsNotRead() throws {
        let path = try temporaryFile(Array(repeating: UInt8(ascii: "#"), count: ConfigLoader.maxFileBytes + 1))
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect {
            try ConfigLoader.read(path: path)
        } throws: { error in
            (error as? ConfigError)?.description == "\(path):1:1: the file is larger than 8 MiB, the most a gateway.yaml may be"
        }
    }

    /// `serve` used to replace invalid bytes (so the flag key, and every bucket, changed) while
    /// `validate` refused the same file: one entry point now refuses it everywhere.
    @Test func invalidUTF8IsRefused() throws {
        var bytes = Array(ConfigLoaderTests.minimal.utf8)
        bytes.insert(contentsOf: [0xFF, 0xFE], at: bytes.count - 1)
        let path = try temporaryFile(bytes)
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect {
            try ConfigLoader.read(path: path)
        } throws: { error in
            (error as? ConfigError)?.problems.first?.message == "the file is not valid UTF-8"
        }
    }

    @Test func theStampChangesWithTheFileAndOnlyThen() throws {
        let path = try temporaryFile(Array(ConfigLoaderTests.minimal.utf8))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let first = try #require(FileStamp(path: path))
        #expect(FileStamp(path: path) == first)
        let loaded = try ConfigLoader.read(path: path)
        #expect(loaded.stamp == first)
        try Data((ConfigLoaderTests.minimal + "\n").utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
        #expect(FileStamp(path: path) != first)
        #expect(FileStamp(path: path + ".missing") == nil)
    }
}

@Suite("state.etcd in gateway.yaml")
struct EtcdConfigTests {
    private func problems(_ text: String) -> [ConfigProblem] {
        configProblems(ConfigLoaderTests.minimal + "\n" + text)
    }

    @Test func aFleetConfigIsRead() throws {
        let text =
            ConfigLoaderTests.minimal + """

                state:
                  etcd:
                    endpoints: [http://etcd-0:2379, http://etcd-1:2379]
                    prefix: /shop/
                    timeout: 2s
                    username: gateway
                    password_env: ETCD_PASSWORD
                    tls: { ca_file: /etc/ca.pem }
                """
        let etcd = try #require(try ConfigLoader.parse(text, file: "gateway.yaml").etcd)
        #expect(etcd.endpoints.map(\.prefix) == ["http://etcd-0:2379", "http://etcd-1:2379"])
        #expect(etcd.prefix == "/shop/" && etcd.timeout == .seconds(2) && etcd.username == "gateway" && etcd.passwordEnv == "ETCD_PASSWORD")
        #expect(etcd.tls?.caFile == "/etc/ca.pem")
    }

    @Test func mistakesAreReportedAtTheirMarks() {
        #expect(
            problems("state:\n  etcd:\n    endpoints: [etcd-0:2379]").map(\.description) == [
                "11:17: state.etcd.endpoints[0] must be an http:// or https:// URL of an etcd client port without a path, got etcd-0:2379"
            ])
        #expect(
            problems("state_file: ./s.json\nstate:\n  etcd:\n    endpoints: [http://e:2379]").first?.message.hasPrefix(
                "state and state_file cannot both be set") == true)
        #expect(
            problems("state:\n  etcd:\n    endpoints: [http://e:2379]\n    username: u").first?.message.hasPrefix(
                "state.etcd.username needs state.etcd.password_env") == true)
        #expect(
            problems("state:\n  etcd:\n    endpoints: [http://e:2379]\n    prefix: nope").first?.message
                == "state.etcd.prefix must start and end with /, got nope")
        let ordersFlag = ConfigLoaderTests.minimal.replacingOccurrences(of: "key: new-checkout", with: "key: orders")
        #expect(
            configProblems(ordersFlag + "\nstate:\n  etcd:\n    endpoints: [http://e:2379]").first?.message.hasPrefix(
                "flag.key orders is reserved with state.etcd") == true)
        #expect(configProblems(ordersFlag).isEmpty, "only with etcd")
    }
}

@Suite("fallback.when, the spelling YAML 1.1 tools cannot misread")
struct FallbackWhenTests {
    @Test func whenAndOnMeanTheSameAndNotBothAtOnce() throws {
        let when = try ConfigLoader.parse(ConfigLoaderTests.minimal + "\nfallback:\n  when: [connect_error]\n", file: "gateway.yaml")
        #expect(when.fallback.on == [.connectError])
        let on = try ConfigLoader.parse(ConfigLoaderTests.minimal + "\nfallback:\n  \"on\": [timeout]\n", file: "gateway.yaml")
        #expect(on.fallback.on == [.timeout])
        let both = configProblems(ConfigLoaderTests.minimal + "\nfallback:\n  on: [timeout]\n  when: [5xx]\n")
        #expect(both.map(\.description) == ["10:7: fallback.on and fallback.when are the same setting; keep fallback.when"])
    }
}

@Suite("tracing, the OpenTelemetry section")
struct TracingConfigTests {
    @Test func theSectionIsReadAndItsMistakesAreNamed() throws {
        let config = try ConfigLoader.parse(
            ConfigLoaderTests.minimal + "\ntracing: { otlp_endpoint: http://collector:4318/v1/traces, sample_ratio: 0.25, protocol: http/json }\n",
            file: "gateway.yaml")
        #expect(config.tracing?.otlpEndpoint == "http://collector:4318/v1/traces")
        #expect(config.tracing?.sampleRatio == 0.25 && config.tracing?.wireFormat == .json)
        #expect(try ConfigLoader.parse(ConfigLoaderTests.minimal, file: "gateway.yaml").tracing == nil, "absent: no tracing")
        #expect(
            configProblems(ConfigLoaderTests.minimal + "\ntracing: { otlp_endpoint: http://c:4318, protocol: grpc }\n").first?.message
                == "tracing.protocol must be one of http/protobuf, http/json, got grpc")
        #expect(
            configProblems(ConfigLoaderTests.minimal + "\ntracing: { otlp_endpoint: http://c:4318, sample_ratio: 2 }\n").first?.message
                .hasPrefix("tracing.sample_ratio") == true)
        #expect(
            configProblems(ConfigLoaderTests.minimal + "\ntracing: { sample_ratio: 1 }\n").first?.message.contains("tracing.otlp_endpoint") == true)
    }
}
