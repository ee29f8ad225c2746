import Foundation
import GatewayCore
import Testing

/// A hostile or careless config must be refused with a `file:line:col` error, never crash or
/// stall the gateway: one bad ConfigMap push reaches every replica through the file poller.
@Suite("gateway.yaml limits: depth, size, encoding, scale", .timeLimit(.minutes(1)))
struct ConfigFileLimitsTests {
    private func problems(_ text: String) -> [ConfigProblem] {
        do {
            _ = try ConfigLoader.parse(text, file: "gateway.yaml")
            return []
        } catch {
            return error.problems
        }
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
