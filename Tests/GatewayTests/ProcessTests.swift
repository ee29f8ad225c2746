import Foundation
import NIOCore
import NIOPosix
import Testing

@Suite("The real binary: signals and exit", .timeLimit(.minutes(1)))
struct ProcessTests {
    @Test func sighupReloadsAtOnce() async throws {
        let old = try await TestUpstream.start("old")
        let new = try await TestUpstream.start("new")
        let state = TemporaryFiles.path("state.json")
        let config = TemporaryFiles.path("gateway.yaml")
        try FileHarness.yaml(old: old, new: new, percent: 0, stateFile: state).write(toFile: config, atomically: true, encoding: .utf8)
        // A poll interval of an hour: only SIGHUP can make the change visible during the test.
        let gateway = try await GatewayProcess.launch(arguments: ["serve", "--config", config, "--poll-interval", "3600"])
        let before = try await TestClient.send(port: gateway.publicPort, path: "/checkout", headers: [("X-User-Id", "u")])
        #expect(before.header("X-Checkout-Variant") == "old")
        try FileHarness.yaml(old: old, new: new, percent: 100, stateFile: state).write(toFile: config, atomically: true, encoding: .utf8)
        gateway.signal(SIGHUP)
        let deadline = ContinuousClock.now + .seconds(5)
        var variant: String?
        while ContinuousClock.now < deadline {
            variant = try await TestClient.send(port: gateway.publicPort, path: "/checkout", headers: [("X-User-Id", "u")]).header(
                "X-Checkout-Variant")
            if variant == "new" { break }
            try await Task.sleep(for: .milliseconds(20))
        }
        #expect(variant == "new", "log: \(gateway.log)")
        gateway.signal(SIGTERM)
        #expect(try await gateway.exitStatus() == 0)
        await old.shutdown()
        await new.shutdown()
    }

    @Test func sigtermLetsTheRequestInFlightFinishRefusesNewConnectionsAndExitsZero() async throws {
        let old = try await TestUpstream.start("old", behavior: .delayed(milliseconds: 700))
        let new = try await TestUpstream.start("new")
        let state = TemporaryFiles.path("state.json")
        let config = TemporaryFiles.path("gateway.yaml")
        try FileHarness.yaml(old: old, new: new, percent: 0, enabled: false, stateFile: state).write(
            toFile: config, atomically: true, encoding: .utf8)
        let gateway = try await GatewayProcess.launch(arguments: ["serve", "--config", config, "--shutdown-grace", "10"])
        let port = gateway.publicPort
        let inFlight = Task { try await TestClient.send(port: port, path: "/checkout", headers: [("X-User-Id", "u")]) }
        while old.requests.isEmpty { try await Task.sleep(for: .milliseconds(5)) }
        gateway.signal(SIGTERM)
        var ready = 200
        while ready == 200 {
            ready = try await TestClient.send(port: gateway.adminPort, path: "/readyz").status
        }
        #expect(ready == 503)
        var refused = false
        let deadline = ContinuousClock.now + .seconds(5)
        while !refused && ContinuousClock.now < deadline {
            do {
                _ = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton).connect(host: "127.0.0.1", port: port).get().close()
                try await Task.sleep(for: .milliseconds(10))
            } catch {
                refused = true
            }
        }
        #expect(refused, "new connections are refused while draining")
        let response = try await inFlight.value
        #expect(response.status == 200)
        #expect(response.text == "old")
        #expect(try await gateway.exitStatus() == 0, "log: \(gateway.log)")
        await old.shutdown()
        await new.shutdown()
    }
}
