import ArgumentParser
import Foundation
import Gateway
import GatewayCore
import Logging

enum ConfigFile {
    /// The validated config, or every error as `file:line:col: message` on stderr and exit 1.
    static func loadOrExit(_ path: String) throws -> GatewayConfig {
        do {
            return try ConfigLoader.load(path: path)
        } catch {
            report(error)
            throw ExitCode(1)
        }
    }

    /// Starts the gateway on the file, or exits 1 with every config error.
    static func startOrExit(
        _ path: String, environment: [String: String] = ProcessInfo.processInfo.environment, workers: Int? = nil
    ) async throws -> GatewayServer {
        do {
            return try await GatewayServer.start(
                configPath: path, environment: environment, accessLogger: Logger(label: LoggingSetup.accessLabel),
                workers: workers
            )
        } catch let error as ConfigError {
            report(error)
            throw ExitCode(1)
        } catch let error as ListenError {
            fail(error.description)
        }
    }

    /// Not a usage error: the reason on stderr and exit 1, without a usage block.
    static func fail(_ message: String) -> Never {
        try? FileHandle.standardError.write(contentsOf: Data("checkout-gateway: \(message)\n".utf8))
        LoggingSetup.flush()
        exit(1)
    }

    private static func report(_ error: ConfigError) {
        let count = error.problems.count
        // The throwing write: a closed stderr must not turn a config error into a crash.
        try? FileHandle.standardError.write(contentsOf: Data((error.annotated + "\n\(error.file): \(count) error\(count == 1 ? "" : "s")\n").utf8))
    }
}

enum LoggingSetup {
    static let accessLabel = "checkout-gateway.access"

    /// Operational logs to stderr; the access log (one JSON object per line) to stdout. Both go
    /// through a bounded queue and a writer thread: a slow, full or closed output drops lines
    /// (counted) and never stalls or ends the gateway.
    static func bootstrap() {
        let level = ProcessInfo.processInfo.environment["LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:)) ?? .info
        LoggingSystem.bootstrap { label in
            if label == accessLabel { return QueuedLogHandler(label: label, writer: .standardOutput, raw: true) }
            return QueuedLogHandler(label: label, writer: .standardError, level: level)
        }
    }

    /// Gives the queued lines a moment to reach their output before the process exits.
    static func flush() {
        LineWriter.standardError.drain(within: .seconds(1))
        LineWriter.standardOutput.drain(within: .seconds(1))
    }
}
