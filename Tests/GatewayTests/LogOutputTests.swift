import Foundation
import Testing

/// The access log goes to stdout and the operational log to stderr, through bounded queues and
/// writer threads: a broken or undrained output drops lines (counted) and never kills or
/// freezes the gateway.
@Suite("Log output that fails or is not read", .timeLimit(.minutes(1)))
struct LogOutputTests {
    private func launch(standardOutput: FileHandle) async throws -> (GatewayProcess, TestUpstream, TestUpstream) {
        let old = try await TestUpstream.start("old")
        let new = try await TestUpstream.start("new")
        let config = TemporaryFiles.path("gateway.yaml")
        try FileHarness.yaml(old: old, new: new, percent: 50, stateFile: TemporaryFiles.path("state.json"), accessLog: true)
            .write(toFile: config, atomically: true, encoding: .utf8)
        let gateway = try await GatewayProcess.launch(arguments: ["serve", "--config", config], standardOutput: standardOutput)
        return (gateway, old, new)
    }

    private func sendRequests(_ count: Int, port: Int) async throws -> [Int] {
        try await TestClient.withConnection(port: port) { connection in
            var statuses: [Int] = []
            for index in 0..<count {
                statuses.append(try await connection.send(path: "/checkout", headers: [("X-User-Id", "u\(index)")]).status)
            }
            return statuses
        }
    }

    /// A closed stdout ended the process (a `try!` on EPIPE, exit 132).
    @Test func aBrokenStdoutDropsAccessLinesAndTheGatewayLives() async throws {
        let pipe = Pipe()
        let (gateway, old, new) = try await launch(standardOutput: pipe.fileHandleForWriting)
        try pipe.fileHandleForReading.close()
        try pipe.fileHandleForWriting.close()
        let statuses = try await sendRequests(50, port: gateway.publicPort)
        #expect(statuses == Array(repeating: 200, count: 50))
        #expect(gateway.process.isRunning)
        var dropped = 0.0
        let deadline = ContinuousClock.now + .seconds(5)
        while dropped < 50 && ContinuousClock.now < deadline {
            let metrics = MetricsText(try await TestClient.send(port: gateway.adminPort, path: "/metrics").text)
            dropped = metrics.value("gateway_access_log_dropped_total") ?? 0
            if dropped < 50 { try await Task.sleep(for: .milliseconds(20)) }
        }
        #expect(dropped == 50, "every access line was dropped and counted")
        gateway.signal(SIGTERM)
        #expect(try await gateway.exitStatus() == 0, "log: \(gateway.log)")
        await old.shutdown()
        await new.shutdown()
    }

    /// A stdout nobody reads filled its pipe and then blocked every event loop; SIGTERM could not
    /// stop the process. 1,000 access lines are far more than a pipe holds.
    @Test func anUndrainedStdoutNeitherFreezesRequestsNorShutdown() async throws {
        let pipe = Pipe()
        let (gateway, old, new) = try await launch(standardOutput: pipe.fileHandleForWriting)
        let statuses = try await sendRequests(1_000, port: gateway.publicPort)
        #expect(statuses.count == 1_000 && statuses.allSatisfy { $0 == 200 })
        gateway.signal(SIGTERM)
        #expect(try await gateway.exitStatus() == 0, "log: \(gateway.log)")
        try pipe.fileHandleForReading.close()
        await old.shutdown()
        await new.shutdown()
    }
}
