import ArgumentParser
import Dispatch
import Foundation
import GatewayCore
import Logging

enum ConfigFile {
    /// The validated config, or every error as `file:line:col: message` on stderr and exit 1.
    static func loadOrExit(_ path: String) throws -> GatewayConfig {
        do {
            return try ConfigLoader.load(path: path)
        } catch {
            FileHandle.standardError.write(Data((error.annotated + "\n").utf8))
            let count = error.problems.count
            FileHandle.standardError.write(Data("\(path): \(count) error\(count == 1 ? "" : "s")\n".utf8))
            throw ExitCode(1)
        }
    }
}

enum LoggingSetup {
    static func bootstrap() {
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = ProcessInfo.processInfo.environment["LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:)) ?? .info
            return handler
        }
    }
}

/// Waits for SIGINT or SIGTERM.
enum SignalWaiter {
    static func waitForTermination() async throws {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let fired = SignalOnce(continuation)
            for signalNumber in [SIGINT, SIGTERM] {
                signal(signalNumber, SIG_IGN)
                let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: .global())
                source.setEventHandler { fired.fire() }
                source.resume()
                fired.keep(source)
            }
        }
    }
}

/// Resumes the continuation at the first signal only; the lock makes the handlers' concurrent
/// calls safe, which is what the `@unchecked Sendable` relies on.
private final class SignalOnce: @unchecked Sendable {
    private let lock = NSLock()
    private var continuation: CheckedContinuation<Void, Never>?
    private var sources: [any DispatchSourceSignal] = []

    init(_ continuation: CheckedContinuation<Void, Never>) {
        self.continuation = continuation
    }

    func keep(_ source: any DispatchSourceSignal) {
        lock.withLock { sources.append(source) }
    }

    func fire() {
        let pending = lock.withLock { () -> CheckedContinuation<Void, Never>? in
            defer { continuation = nil }
            return continuation
        }
        pending?.resume()
    }
}
