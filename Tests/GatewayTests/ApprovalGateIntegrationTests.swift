import Foundation
import GatewayCore
import NIOHTTP1
import Testing

/// Approval gates, promote and abort with a real gateway and its state file, then a fleet on a
/// real etcd: a step with `approve: true` waits after its hold until someone promotes it, on
/// any replica; an abort rolls everyone back until a resume; all of it survives a restart.
@Suite("Approval gates, promote and abort", .timeLimit(.minutes(2)))
struct ApprovalGateIntegrationTests {
    static func schedule(hold: String = "1s") -> String {
        """
        schedule:
          start: \(ISO8601DateFormatter().string(from: Date().addingTimeInterval(-1)))
          steps:
            - { percent: 0, hold: \(hold), approve: true }
            - { percent: 100 }
        """
    }

    @Test func aGateWaitsForPromoteAndAnAbortHoldsUntilResume() async throws {
        let state = TemporaryFiles.path("state.json")
        let extra = Self.schedule()
        try await FileHarness.with(percent: 0, stateFile: state, extra: extra) { h async throws in
            try await h.waitForStatus("the first step") { $0[path: "schedule.step"] as? Int == 1 }
            #expect(try await h.status()[path: "schedule.approve"] as? Bool == true)
            try await h.waitForStatus("the gate waits for approval") { $0[path: "schedule.awaiting_approval_since"] is String }
            let waiting = try await h.status()
            #expect(waiting[path: "schedule.step"] as? Int == 1, "a gate never advances on its own")
            #expect(waiting[path: "flag.percent_effective"] as? Int == 0)
        }
        // The wait is stored: after a restart the same gate still waits, and a promote moves on.
        try await FileHarness.with(percent: 0, stateFile: state, extra: extra) { h async throws in
            let status = try await h.status()
            #expect(status[path: "schedule.awaiting_approval_since"] is String, "the wait survives a restart")
            #expect(try await TestClient.send(port: h.port, path: "/checkout", headers: [("X-User-Id", "u1")]).header("X-Checkout-Variant") == "old")

            // The smoke test's outcome is recorded on the waiting step and shown next to the approval.
            let smoke = ["smoke", "--direct", "--config", h.configPath, "--report", "--admin", "http://127.0.0.1:\(h.adminPort)"]
            h.new.set(.respond(status: 500, body: nil, headers: []))
            let failing = try await GatewayProcess.run(arguments: smoke)
            #expect(failing.status == 1)
            #expect(try await h.status()[path: "schedule.smoke_passed"] as? Bool == false)
            h.new.set(.respond(status: 200, body: nil, headers: []))
            let passing = try await GatewayProcess.run(arguments: smoke)
            #expect(passing.status == 0, "\(passing.stdout) \(passing.stderr)")
            #expect(passing.stdout.contains("approval: WAITING FOR APPROVAL since"), "\(passing.stdout)")
            #expect(passing.stdout.contains("smoke test passed at"), "the criteria next to the approval: \(passing.stdout)")
            #expect(try await h.status()[path: "schedule.smoke_passed"] as? Bool == true)

            let promoted = try await h.admin("/admin/promote")
            #expect(promoted.status == 200, "\(promoted.text)")
            try await h.waitForStatus("the ramp leaves the gate") { $0[path: "schedule.step"] as? Int == 2 }
            #expect(try await TestClient.send(port: h.port, path: "/checkout", headers: [("X-User-Id", "u1")]).header("X-Checkout-Variant") == "new")
            let again = try await h.admin("/admin/promote")
            #expect(again.status == 409)
            #expect(again.text.contains("has no approval gate"), "\(again.text)")

            let aborted = try await h.admin("/admin/abort")
            #expect(aborted.status == 200)
            let status2 = try await h.status()
            #expect(status2[path: "flag.latched"] as? Bool == true)
            #expect(status2[path: "flag.latch_reason"] as? String == "aborted")
            #expect((status2[path: "flag.latched_by"] as? String)?.hasPrefix("peer ") == true, "who aborted")
            #expect(try await TestClient.send(port: h.port, path: "/checkout", headers: [("X-User-Id", "u1")]).header("X-Checkout-Variant") == "old")
            #expect(try await h.admin("/admin/promote").status == 409, "nothing to promote while aborted")
        }
        try await FileHarness.with(percent: 0, stateFile: state, extra: extra) { h async throws in
            #expect(try await h.status()[path: "flag.latch_reason"] as? String == "aborted", "an abort survives a restart")
            #expect(try await h.admin("/admin/resume").status == 200)
            #expect(try await TestClient.send(port: h.port, path: "/checkout", headers: [("X-User-Id", "u1")]).header("X-Checkout-Variant") == "new")
        }
    }

    @Test func promoteBeforeTheHoldEndsIsRefusedWithTheReasonAndTheCLISaysSo() async throws {
        try await FileHarness.with(percent: 0, extra: Self.schedule(hold: "1h")) { h async throws in
            try await h.waitForStatus("the first step") { $0[path: "schedule.step"] as? Int == 1 }
            let early = try await h.admin("/admin/promote")
            #expect(early.status == 409)
            #expect(early.text.contains("not waiting for approval yet"), "\(early.text)")
            let cli = try await GatewayProcess.run(arguments: ["promote", "--admin", "http://127.0.0.1:\(h.adminPort)"])
            #expect(cli.status == 1)
            #expect(cli.stderr.contains("promote refused: nothing to promote: step 1 of 2 (0%) is not waiting for approval yet"), "\(cli.stderr)")
            let summary = try await GatewayProcess.run(arguments: ["status", "--admin", "http://127.0.0.1:\(h.adminPort)"])
            #expect(summary.stdout.contains("approval: this step is a gate"), "\(summary.stdout)")
            let abort = try await GatewayProcess.run(arguments: ["abort", "--admin", "http://127.0.0.1:\(h.adminPort)"])
            #expect(abort.status == 0)
            #expect(abort.stdout.contains("ABORTED by peer 127.0.0.1"), "\(abort.stdout)")
        }
    }

    @Test func aPromoteOnAnyReplicaMovesTheFleetOn() async throws {
        let etcd = try await EtcdCluster.start()
        defer { etcd.stop() }
        let fleet = try await FleetHarness.make(etcd: etcd, percent: 0, extra: Self.schedule())
        defer { fleet.killAll() }
        let first = try await fleet.launchReplica()
        try await fleet.waitUntil("the first replica leads", within: .seconds(5)) {
            try await fleet.status(first)[path: "fleet.leading"] as? Bool == true
        }
        let second = try await fleet.launchReplica()
        try await fleet.waitUntil("every replica sees the gate waiting", within: .seconds(10)) {
            try await fleet.status(second)[path: "schedule.awaiting_approval_since"] is String
        }
        let summary = try await GatewayProcess.run(arguments: ["status", "--admin", "http://127.0.0.1:\(second.adminPort)"])
        #expect(summary.stdout.contains("WAITING FOR APPROVAL since"), "\(summary.stdout)")
        #expect(try await fleet.variant(second) == "old")

        let promoted = try await GatewayProcess.run(arguments: ["promote", "--admin", "http://127.0.0.1:\(second.adminPort)"])
        #expect(promoted.status == 0, "\(promoted.stderr)")
        for replica in [first, second] {
            try await fleet.waitUntil("the leader moves the fleet on", within: .seconds(5)) { try await fleet.variant(replica) == "new" }
        }
        let status = try await fleet.status(first)
        #expect(status[path: "schedule.step"] as? Int == 2)
        #expect(second.log.contains(#""audit":"promote""#), "the promote is audited where it was made")
        await fleet.stop([first, second])
    }
}
