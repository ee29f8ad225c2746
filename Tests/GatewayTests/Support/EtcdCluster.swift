import Foundation
import Gateway
import NIOConcurrencyHelpers

/// Real etcd members (Debian's `etcd-server`) on free loopback ports with temporary data
/// directories, started and stopped by the test. One member, or three for member loss.
final class EtcdCluster: Sendable {
    struct Member: Sendable {
        var name: String
        var clientPort: Int
        var peerPort: Int
        var dataDirectory: String
        var clientURL: String { "http://127.0.0.1:\(clientPort)" }
        var peerURL: String { "http://127.0.0.1:\(peerPort)" }
    }

    let members: [Member]
    /// One token for every member: members of different tokens refuse each other.
    private let token = "t-\(RandomSuffix.make())"
    private let processes: NIOLockedValueBox<[String: ChildProcess]>

    var endpoints: [String] { members.map(\.clientURL) }

    static var binary: String? {
        ["/usr/bin/etcd", "/usr/local/bin/etcd"].first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// Starts `size` members and waits until the cluster answers; a second try on fresh ports
    /// if the first does not come up (a port taken between choosing and binding it).
    static func start(size: Int = 1) async throws -> EtcdCluster {
        var lastError: (any Error)?
        for _ in 0..<2 {
            let cluster = try EtcdCluster(plannedSize: size)
            do {
                for member in cluster.members { try cluster.launch(member) }
                try await cluster.waitUntilHealthy()
                return cluster
            } catch {
                lastError = error
                cluster.stop()
            }
        }
        throw lastError!
    }

    /// A cluster planned but not started: its endpoints refuse connections until `startAll()`.
    static func planned(size: Int = 1) throws -> EtcdCluster {
        try EtcdCluster(plannedSize: size)
    }

    private init(plannedSize size: Int) throws {
        guard Self.binary != nil else {
            throw ProcessFailure(description: "etcd is not installed: apt-get install etcd-server (scripts/install-deps does)")
        }
        var members: [Member] = []
        for index in 0..<size {
            let directory = TemporaryFiles.path("etcd-\(index)")
            members.append(Member(name: "m\(index)", clientPort: try FreePort.find(), peerPort: try FreePort.find(), dataDirectory: directory))
        }
        self.members = members
        processes = NIOLockedValueBox([:])
    }

    func startAll() async throws {
        for member in members { try launch(member) }
        try await waitUntilHealthy()
    }

    private func launch(_ member: Member) throws {
        let cluster = members.map { "\($0.name)=\($0.peerURL)" }.joined(separator: ",")
        let arguments = [
            "--name", member.name, "--data-dir", member.dataDirectory,
            "--listen-client-urls", member.clientURL, "--advertise-client-urls", member.clientURL,
            "--listen-peer-urls", member.peerURL, "--initial-advertise-peer-urls", member.peerURL,
            "--initial-cluster", cluster, "--initial-cluster-state", "new", "--initial-cluster-token", token,
            "--heartbeat-interval", "50", "--election-timeout", "500", "--log-level", "error",
        ]
        let log = member.dataDirectory + ".log"
        _ = FileManager.default.createFile(atPath: log, contents: nil)
        let logHandle = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
        defer { try? logHandle.close() }
        let process = try ChildProcess(
            executable: Self.binary!, arguments: arguments, environment: ["PATH": "/usr/bin:/bin"],
            standardOutput: logHandle.fileDescriptor, standardError: logHandle.fileDescriptor)
        processes.withLockedValue { $0[member.name] = process }
    }

    private func waitUntilHealthy() async throws {
        let deadline = ContinuousClock.now + .seconds(20)
        while ContinuousClock.now < deadline {
            var healthy = 0
            for member in members where processes.withLockedValue({ $0[member.name]?.isRunning == true }) {
                let url = member.clientURL + "/health"
                let answer = try? await offThePool { try SimpleHTTPClient.get(url, timeout: .seconds(1)) }
                if let answer, answer.status == 200, String(decoding: answer.body, as: UTF8.self).contains("true") { healthy += 1 }
            }
            if healthy == processes.withLockedValue({ $0.values.filter(\.isRunning).count }) && healthy > 0 { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        let logs = members.map { member in
            let text = (try? String(contentsOfFile: member.dataDirectory + ".log", encoding: .utf8)) ?? ""
            return "\(member.name): \(text.suffix(600))"
        }
        throw ProcessFailure(description: "etcd did not become healthy within 20 s: \(logs.joined(separator: "\n"))")
    }

    /// Ends a member at once (SIGKILL), as a crashed node.
    func kill(member index: Int) {
        let process = processes.withLockedValue { $0.removeValue(forKey: members[index].name) }
        process?.signal(SIGKILL)
        process?.waitUntilExit()
    }

    /// Starts a killed member again on its data directory, and waits until the cluster answers.
    func restart(member index: Int) async throws {
        try launch(members[index])
        try await waitUntilHealthy()
    }

    func stop() {
        for index in members.indices { kill(member: index) }
        for member in members {
            try? FileManager.default.removeItem(atPath: member.dataDirectory)
            try? FileManager.default.removeItem(atPath: member.dataDirectory + ".log")
        }
    }
}

/// A loopback port nothing listens on right now (bound to port 0, read back, released).
enum FreePort {
    static func find() throws -> Int {
        let holder = try RefusingPort()
        defer { holder.close() }
        return holder.port
    }
}
