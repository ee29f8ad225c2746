import Foundation

/// A real Prometheus (Debian's `prometheus`) on a loopback port with a temporary data folder,
/// scraping the given targets every second, for the `guardrails.prometheus` tests.
final class PrometheusServer: Sendable {
    static let binary = "/usr/bin/prometheus"
    let port: Int
    private let process: ChildProcess
    private let folder: String

    var url: String { "http://127.0.0.1:\(port)" }

    static var isInstalled: Bool { FileManager.default.isExecutableFile(atPath: binary) }

    /// Starts Prometheus on `port` scraping `targets` (`host:port`, path `/metrics`, job
    /// `checkout-gateway`) and waits until it answers `/-/ready`.
    static func start(port: Int, scraping targets: [String]) async throws -> PrometheusServer {
        guard isInstalled else {
            throw ProcessFailure(description: "prometheus is not installed: apt-get install prometheus (scripts/install-deps does)")
        }
        let folder = TemporaryFiles.path("prometheus")
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let config = """
            global: { scrape_interval: 1s, evaluation_interval: 1s }
            scrape_configs:
              - job_name: checkout-gateway
                static_configs: [{ targets: [\(targets.map { "\"\($0)\"" }.joined(separator: ", "))] }]
            """
        try config.write(toFile: folder + "/prometheus.yml", atomically: true, encoding: .utf8)
        let log = try FileHandle(
            forWritingTo: URL(
                fileURLWithPath: {
                    FileManager.default.createFile(atPath: folder + ".log", contents: nil); return folder + ".log"
                }()))
        defer { try? log.close() }
        let process = try ChildProcess(
            executable: binary,
            arguments: [
                "--config.file=\(folder)/prometheus.yml", "--storage.tsdb.path=\(folder)/data", "--web.listen-address=127.0.0.1:\(port)",
                "--log.level=warn",
            ],
            environment: ["PATH": "/usr/bin:/bin"], standardOutput: log.fileDescriptor, standardError: log.fileDescriptor)
        let server = PrometheusServer(port: port, process: process, folder: folder)
        let deadline = ContinuousClock.now + .seconds(20)
        while ContinuousClock.now < deadline {
            if let answer = try? await TestClient.send(port: port, path: "/-/ready"), answer.status == 200 { return server }
            guard process.isRunning else { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        server.stop()
        let text = (try? String(contentsOfFile: folder + ".log", encoding: .utf8)) ?? ""
        throw ProcessFailure(description: "prometheus did not become ready: \(text.suffix(800))")
    }

    private init(port: Int, process: ChildProcess, folder: String) {
        self.port = port
        self.process = process
        self.folder = folder
    }

    func stop() {
        process.signal(SIGKILL)
        process.waitUntilExit()
        try? FileManager.default.removeItem(atPath: folder)
        try? FileManager.default.removeItem(atPath: folder + ".log")
    }
}
