import Foundation
import Gateway
import NIOCore
import NIOPosix
import Testing

/// The admin listener is capped and times idle and slow connections out, and both listeners back
/// off when the process runs out of descriptors: 1,100 idle admin connections once exhausted
/// every fd, took the public listener down and spun the CPU on EMFILE.
@Suite("Listener limits: admin cap, admin timeouts, accept back-off", .timeLimit(.minutes(1)))
struct ListenerLimitsTests {
    private func connect(_ port: Int) async throws -> any Channel {
        try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton).connect(host: "127.0.0.1", port: port).get()
    }

    /// Runs `body` while `count` kept-alive admin connections are open, each of which has had its
    /// answer (so the listener has admitted it).
    private func withAdmittedConnections(_ count: Int, port: Int, _ body: () async throws -> Void) async throws {
        guard count > 0 else { return try await body() }
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connect(host: "127.0.0.1", port: port) { channel in
                channel.eventLoop.makeCompletedFuture { try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel) }
            }
        try await channel.executeThenClose { inbound, outbound in
            try await outbound.write(ByteBuffer(string: "GET /healthz HTTP/1.1\r\nHost: a\r\n\r\n"))
            var iterator = inbound.makeAsyncIterator()
            var received = ""
            while !received.contains("\r\n\r\nok\n"), let chunk = try await iterator.next() { received += String(buffer: chunk) }
            try await withAdmittedConnections(count - 1, port: port, body)
        }
    }

    @Test func adminConnectionsOverTheCapAreClosedAndThePublicListenerIsUnaffected() async throws {
        var limits = AdminLimits()
        limits.maxConnections = 4
        try await Harness.with(adminLimits: limits) { h async throws in
            try await withAdmittedConnections(3, port: h.adminPort) {
                try await withAdmittedConnections(1, port: h.adminPort) {
                    // An answer on a fifth connection would mean the cap let it in; it is closed instead.
                    let refused = try await RawClient.exchange(port: h.adminPort, "GET /healthz HTTP/1.1\r\nHost: a\r\n\r\n")
                    #expect(refused.isEmpty)
                    #expect(try await h.get("/checkout").status == 200)
                }
                // The fourth is closed now: its slot is usable again.
                var status = 0
                let deadline = ContinuousClock.now + .seconds(5)
                while status != 200 && ContinuousClock.now < deadline {
                    status =
                        RawClient.statuses(
                            try await RawClient.exchange(port: h.adminPort, "GET /healthz HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
                        ).first ?? 0
                }
                #expect(status == 200, "a freed slot is usable again")
            }
        }
    }

    @Test func idleAndSlowAdminConnectionsAreClosed() async throws {
        var limits = AdminLimits()
        // Long enough that a loaded machine (browser tests run alongside) still answers within it.
        limits.requestTimeout = TestTiming.scaled(.milliseconds(600))
        try await Harness.with(adminLimits: limits) { h async throws in
            let idle = try await connect(h.adminPort)
            try await idle.closeFuture.get()
            // Half a request head, never finished.
            let slow = try await RawClient.exchange(port: h.adminPort, "GET /status HTTP/1.1\r\nHost:")
            #expect(slow.isEmpty)
            // A kept-alive connection is closed after its answer once it stays idle.
            let kept = try await RawClient.exchange(port: h.adminPort, "GET /healthz HTTP/1.1\r\nHost: a\r\n\r\n")
            #expect(RawClient.statuses(kept) == [200])
        }
    }

    /// With the descriptor limit reached, accept fails with EMFILE at once; without back-off the
    /// accept loop retried at full speed. Idle means well under half a core over a second.
    @Test func outOfDescriptorsTheListenersBackOffAndRecover() async throws {
        let old = try await TestUpstream.start("old")
        let new = try await TestUpstream.start("new")
        let config = TemporaryFiles.path("gateway.yaml")
        try FileHarness.yaml(old: old, new: new, percent: 0, stateFile: TemporaryFiles.path("state.json"))
            .write(toFile: config, atomically: true, encoding: .utf8)
        let gateway = try await GatewayProcess.launch(arguments: ["serve", "--config", config, "--workers", "1"], fileLimit: 48)
        var held: [any Channel] = []
        for _ in 0..<60 { held.append(try await connect(gateway.publicPort)) }
        // 60 connections under a limit of 48 descriptors: the last ones meet EMFILE on accept.
        let before = gateway.cpuSeconds
        let clock = ContinuousClock.now
        try await Task.sleep(for: .seconds(1))
        let used = gateway.cpuSeconds - before
        let elapsed = Double((ContinuousClock.now - clock).components.seconds) + Double((ContinuousClock.now - clock).components.attoseconds) / 1e18
        #expect(used < 0.5 * elapsed, "\(used) s of CPU in \(elapsed) s while out of descriptors")
        for channel in held { try? await channel.close() }
        var status = 0
        let deadline = ContinuousClock.now + .seconds(10)
        while status != 200 && ContinuousClock.now < deadline {
            status = (try? await TestClient.send(port: gateway.publicPort, path: "/checkout"))?.status ?? 0
            if status != 200 { try await Task.sleep(for: .milliseconds(50)) }
        }
        #expect(status == 200, "accepting again once descriptors are free")
        gateway.signal(SIGTERM)
        #expect(try await gateway.exitStatus() == 0)
        await old.shutdown()
        await new.shutdown()
    }
}
