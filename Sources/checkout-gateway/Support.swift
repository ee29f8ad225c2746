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
        _ path: String, environment: [String: String] = ProcessInfo.processInfo.environment, eventLoopThreads: Int? = nil
    ) async throws -> GatewayServer {
        do {
            return try await GatewayServer.start(
                configPath: path, environment: environment, accessLogger: Logger(label: LoggingSetup.accessLabel),
                eventLoopThreads: eventLoopThreads
            )
        } catch let error as ConfigError {
            report(error)
            throw ExitCode(1)
        }
    }

    private static func report(_ error: ConfigError) {
        FileHandle.standardError.write(Data((error.annotated + "\n").utf8))
        let count = error.problems.count
        FileHandle.standardError.write(Data("\(error.file): \(count) error\(count == 1 ? "" : "s")\n".utf8))
    }
}

enum LoggingSetup {
    static let accessLabel = "checkout-gateway.access"

    /// Operational logs to stderr; the access log (one JSON object per line) to stdout.
    static func bootstrap() {
        let level = ProcessInfo.processInfo.environment["LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:)) ?? .info
        LoggingSystem.bootstrap { label in
            if label == accessLabel { return AccessLineHandler() }
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
    }
}

/// Writes each access-log message as it is, one line on stdout.
struct AccessLineHandler: LogHandler {
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .info

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var line = event.message.description
        line.append("\n")
        FileHandle.standardOutput.write(Data(line.utf8))
    }
}
