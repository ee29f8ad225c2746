import Foundation
import GatewayCore
import Logging

/// Reads and writes `state_file`, the embedded rollout-state store of one machine.
///
/// A state file that exists but cannot be read never means "nothing was killed": the caller
/// starts killed and says so (see `StoreRead.unreadable`). Writes are durable: a temporary file is
/// written and fsync'ed, renamed over the old one, and the directory fsync'ed, so a crash or a
/// power cut leaves either the old state or the new one, whole.
struct FileStateStore: RolloutStateStore {
    let path: String
    var kind: String { "file" }

    /// This process is the file's only writer, so the new state is the change on top of the
    /// state it last wrote.
    func commit(_ change: StateChange, onto state: PersistedState) -> CommitOutcome {
        if case .promote(_, let replacing, _, _) = change, state.schedule != replacing { return .superseded }
        let next = change.applied(to: state)
        do {
            try save(next)
            return .committed(next, revision: 0)
        } catch {
            return .failed("\(error)")
        }
    }

    func read() -> StoreRead {
        var info = stat()
        if stat(path, &info) != 0 {
            if errno == ENOENT { return .fresh }
            return .unreadable("cannot examine \(path): \(String(cString: strerror(errno)))")
        }
        guard (info.st_mode & S_IFMT) == S_IFREG else { return .unreadable("\(path) is not a regular file") }
        guard let data = FileManager.default.contents(atPath: path) else {
            return .unreadable("cannot read \(path)")
        }
        guard !data.isEmpty else { return .unreadable("\(path) is empty (a truncated write?)") }
        do {
            return .state(try Self.decoder().decode(PersistedState.self, from: data), revision: 0)
        } catch {
            return .unreadable("\(path) is not a valid state file: \(Self.describe(error))")
        }
    }

    /// Moves an unreadable state file aside (`<path>.unreadable-<unix time>`) so that the state
    /// written next does not destroy what an operator may want to inspect. Returns the new path.
    func quarantine(now: Date = Date()) -> String? {
        let aside = "\(path).unreadable-\(Int(now.timeIntervalSince1970))"
        return rename(path, aside) == 0 ? aside : nil
    }

    func save(_ state: PersistedState) throws {
        let data = try Self.encoder().encode(state)
        let temporary = path + ".tmp"
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw StateFileError(operation: "create \(temporary)", code: errno) }
        var failure: StateFileError?
        data.withUnsafeBytes { bytes in
            var offset = 0
            while offset < bytes.count {
                let written = write(descriptor, bytes.baseAddress! + offset, bytes.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    failure = StateFileError(operation: "write \(temporary)", code: errno)
                    return
                }
                offset += written
            }
        }
        if failure == nil, fsync(descriptor) != 0 { failure = StateFileError(operation: "fsync \(temporary)", code: errno) }
        close(descriptor)
        if let failure { throw failure }
        guard rename(temporary, path) == 0 else { throw StateFileError(operation: "rename \(temporary) to \(path)", code: errno) }
        let directory = open(
            (path as NSString).deletingLastPathComponent.isEmpty ? "." : (path as NSString).deletingLastPathComponent,
            O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if directory >= 0 {
            _ = fsync(directory)
            close(directory)
        }
    }

    private static func describe(_ error: any Error) -> String {
        switch error {
        case DecodingError.dataCorrupted(let context): context.debugDescription
        case DecodingError.typeMismatch(_, let context), DecodingError.valueNotFound(_, let context):
            "\(context.codingPath.map(\.stringValue).joined(separator: ".")): \(context.debugDescription)"
        case DecodingError.keyNotFound(let key, _): "missing key \(key.stringValue)"
        default: "\(error)"
        }
    }

    private static func encoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        encoder.dateEncodingStrategy = .iso8601
        return encoder
    }

    private static func decoder() -> JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return decoder
    }
}

struct StateFileError: Error, CustomStringConvertible {
    var operation: String
    var code: Int32
    var description: String { "cannot \(operation): \(String(cString: strerror(code)))" }
}
