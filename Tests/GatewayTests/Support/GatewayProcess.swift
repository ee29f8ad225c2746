import Foundation
import NIOConcurrencyHelpers

/// The real `checkout-gateway` binary as a child process, for what only a process can show:
/// signals (SIGHUP, SIGTERM) and its exit code.
final class GatewayProcess: Sendable {
    let process: ChildProcess
    let publicPort: Int
    let adminPort: Int
    private let stderr: NIOLockedValueBox<String>
    /// The read end of the child's stderr, kept for the process's life: a handle closes its
    /// descriptor when released, and the child's log lines would then meet a broken pipe.
    private let stderrReader: FileHandle

    /// The binary next to the test bundle (`swift build` puts both in the same folder).
    static var binary: URL {
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("checkout-gateway")
    }

    /// Starts the binary and waits for its "gateway listening" line. `standardOutput` is where
    /// the access log goes (default: discarded).
    /// `fileLimit` lowers the process's descriptor limit (`ulimit -n`) to run it out of them.
    static func launch(
        arguments: [String], standardOutput: FileHandle? = nil, fileLimit: Int? = nil, environment: [String: String] = [:]
    ) async throws -> GatewayProcess {
        guard FileManager.default.isExecutableFile(atPath: binary.path) else {
            throw ProcessFailure(description: "\(binary.path) is missing: run `swift build` before `swift test`")
        }
        // `;` rather than `&&`: dash forks for the last command of an and-list, and the test
        // must signal the gateway itself.
        let (executable, arguments) =
            fileLimit.map { ("/bin/sh", ["-c", "ulimit -n \($0) || exit 1; exec \"$0\" \"$@\"", binary.path] + arguments) } ?? (
                binary.path, arguments
            )
        let errorPipe = Pipe()
        let discard = try FileHandle(forWritingTo: URL(fileURLWithPath: "/dev/null"))
        let process = try ChildProcess(
            executable: executable, arguments: arguments, environment: ["LOG_LEVEL": "info", "PATH": "/usr/bin:/bin"].merging(environment) { $1 },
            standardOutput: (standardOutput ?? discard).fileDescriptor, standardError: errorPipe.fileHandleForWriting.fileDescriptor)
        try discard.close()
        try errorPipe.fileHandleForWriting.close()
        let stderr = NIOLockedValueBox("")
        errorPipe.fileHandleForReading.readabilityHandler = { handle in
            let data = handle.availableData
            stderr.withLockedValue { $0 += String(decoding: data, as: UTF8.self) }
        }
        let deadline = ContinuousClock.now + .seconds(20)
        while ContinuousClock.now < deadline {
            let text = stderr.withLockedValue { $0 }
            if let line = text.split(separator: "\n").first(where: { $0.contains("gateway listening") }),
                let publicPort = port(in: line, key: "listen"), let adminPort = port(in: line, key: "admin")
            {
                return GatewayProcess(
                    process: process, publicPort: publicPort, adminPort: adminPort, stderr: stderr, stderrReader: errorPipe.fileHandleForReading)
            }
            if !process.isRunning { break }
            try await Task.sleep(for: .milliseconds(20))
        }
        process.terminate()
        throw ProcessFailure(description: "the gateway did not start: \(stderr.withLockedValue { $0 })")
    }

    /// Runs the binary to its end (at most `limit`) and returns its exit status, stdout and stderr.
    static func run(arguments: [String], within limit: Duration = .seconds(20)) async throws -> (status: Int32, stdout: String, stderr: String) {
        let outputFile = TemporaryFiles.path("stdout.txt")
        let errorFile = TemporaryFiles.path("stderr.txt")
        _ = FileManager.default.createFile(atPath: outputFile, contents: nil)
        _ = FileManager.default.createFile(atPath: errorFile, contents: nil)
        let outputHandle = try FileHandle(forWritingTo: URL(fileURLWithPath: outputFile))
        let errorHandle = try FileHandle(forWritingTo: URL(fileURLWithPath: errorFile))
        let process = try ChildProcess(
            executable: binary.path, arguments: arguments, environment: ["PATH": "/usr/bin:/bin"],
            standardOutput: outputHandle.fileDescriptor, standardError: errorHandle.fileDescriptor)
        try outputHandle.close()
        try errorHandle.close()
        let status: Int32
        do {
            status = try await process.waitForExit(within: limit)
        } catch {
            process.signal(SIGKILL)
            throw ProcessFailure(description: "\(arguments) did not exit")
        }
        let read = { (path: String) in (try? String(contentsOfFile: path, encoding: .utf8)) ?? "" }
        return (status, read(outputFile), read(errorFile))
    }

    private init(process: ChildProcess, publicPort: Int, adminPort: Int, stderr: NIOLockedValueBox<String>, stderrReader: FileHandle) {
        self.stderrReader = stderrReader
        self.process = process
        self.publicPort = publicPort
        self.adminPort = adminPort
        self.stderr = stderr
    }

    var log: String { stderr.withLockedValue { $0 } }

    /// The process's threads and open descriptors now, from `/proc/<pid>`.
    var threadsAndDescriptors: (threads: Int, descriptors: Int) {
        let pid = process.processIdentifier
        let threads = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task").count) ?? 0
        let descriptors = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd").count) ?? 0
        return (threads, descriptors)
    }

    /// CPU time the process has used so far (user + system), from `/proc/<pid>/stat`.
    var cpuSeconds: Double {
        guard let stat = try? String(contentsOfFile: "/proc/\(process.processIdentifier)/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")")
        else { return 0 }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        // After the command name: state is field 3, utime 14 and stime 15 (1-based, man 5 proc).
        guard fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]) else { return 0 }
        return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }

    func signal(_ number: Int32) {
        kill(process.processIdentifier, number)
    }

    /// Waits for the process to end (at most `limit`) and returns its exit status.
    func exitStatus(within limit: Duration = .seconds(20)) async throws -> Int32 {
        do {
            return try await process.waitForExit(within: limit)
        } catch {
            process.terminate()
            throw ProcessFailure(description: "the gateway did not exit")
        }
    }

    private static func port(in line: Substring, key: String) -> Int? {
        guard let field = line.split(separator: " ").first(where: { $0.hasPrefix("\(key)=") }),
            let colon = field.lastIndex(of: ":")
        else { return nil }
        return Int(field[field.index(after: colon)...])
    }
}

struct ProcessFailure: Error, CustomStringConvertible {
    var description: String
}
