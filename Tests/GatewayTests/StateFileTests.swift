import Foundation
import GatewayCore
import NIOHTTP1
import Testing

/// An existing `state_file` that cannot be read may have held a kill or a rollback latch: the
/// gateway must never take it for "nothing was killed". It starts killed, says why in `/status`,
/// keeps the bad file for inspection and writes the kill down so a restart stays killed.
@Suite("Unreadable state files at start", .timeLimit(.minutes(1)))
struct StateFileTests {
    enum Damage: String, CaseIterable, Sendable {
        case empty, truncated, garbage, wrongTypes, directory

        func place(at path: String) throws {
            let killed = #"{"killed": true, "killed_at": "2026-11-30T10:00:00Z", "latched": false}"#
            switch self {
            case .empty: try Data().write(to: URL(fileURLWithPath: path))
            case .truncated: try Data(killed.utf8.prefix(20)).write(to: URL(fileURLWithPath: path))
            case .garbage: try Data([0x00, 0xFF, 0x13, 0x37, 0x42]).write(to: URL(fileURLWithPath: path))
            case .wrongTypes: try Data(#"{"killed": "yes", "latched": 1}"#.utf8).write(to: URL(fileURLWithPath: path))
            case .directory: try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false)
            }
        }
    }

    @Test(arguments: Damage.allCases)
    func anUnreadableStateFileStartsKilled(damage: Damage) async throws {
        let stateFile = TemporaryFiles.path("state.json")
        try damage.place(at: stateFile)
        try await Harness.with(configure: {
            $0.stateFile = stateFile; $0.flag.percent = 100
        }) { h async throws in
            let answer = try await h.get("/checkout", headers: [("X-User-Id", "u")])
            #expect(answer.header("X-Checkout-Variant") == "old", "everyone goes to old")
            #expect(h.new.requests.isEmpty)

            let status =
                try JSONSerialization.jsonObject(with: Data(try await TestClient.send(port: h.adminPort, path: "/status").body)) as? [String: Any]
                ?? [:]
            #expect(status[path: "flag.killed"] as? Bool == true)
            let reason = status[path: "flag.kill_reason"] as? String ?? ""
            #expect(reason.hasPrefix("state_file unreadable at start: "), "\(reason)")

            // The kill is written down: a restart on the same file stays killed.
            let rewritten = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: stateFile))) as? [String: Any]
            #expect(rewritten?["killed"] as? Bool == true)
            // The damaged file is kept beside it for inspection.
            let directory = (stateFile as NSString).deletingLastPathComponent
            let name = (stateFile as NSString).lastPathComponent
            let kept = try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasPrefix(name + ".unreadable-") }
            #expect(kept.count == 1)

            // An operator who checked resumes; the ramp applies again.
            #expect(try await TestClient.send(port: h.adminPort, method: .POST, path: "/admin/resume", body: []).status == 200)
            #expect(try await h.get("/checkout", headers: [("X-User-Id", "u")]).header("X-Checkout-Variant") == "new")
        }
    }

    @Test func aMissingStateFileIsAFirstStart() async throws {
        try await Harness.with(configure: { $0.flag.percent = 100 }) { h async throws in
            #expect(try await h.get("/checkout", headers: [("X-User-Id", "u")]).header("X-Checkout-Variant") == "new")
        }
    }

    /// Written with write, fsync and rename: never a partial file, never the temporary left.
    @Test func aKillIsWrittenWholeAndSurvivesARestart() async throws {
        let stateFile = TemporaryFiles.path("state.json")
        try await Harness.with(configure: {
            $0.stateFile = stateFile; $0.flag.percent = 100
        }) { h async throws in
            #expect(try await TestClient.send(port: h.adminPort, method: .POST, path: "/admin/kill", body: []).status == 200)
        }
        #expect(!FileManager.default.fileExists(atPath: stateFile + ".tmp"))
        let saved = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: stateFile))) as? [String: Any]
        #expect(saved?["killed"] as? Bool == true)
        try await Harness.with(configure: {
            $0.stateFile = stateFile; $0.flag.percent = 100
        }) { h async throws in
            #expect(try await h.get("/checkout", headers: [("X-User-Id", "u")]).header("X-Checkout-Variant") == "old")
        }
    }
}
