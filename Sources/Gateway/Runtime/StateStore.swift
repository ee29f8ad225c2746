import Foundation
import GatewayCore
import Logging

/// Reads and writes `state_file`. Writes go to a temporary file that is renamed over the old
/// one, so a crash mid-write never leaves half a file.
struct StateStore: Sendable {
    let path: String

    func load(logger: Logger) -> PersistedState {
        guard let data = FileManager.default.contents(atPath: path) else { return PersistedState() }
        do {
            return try Self.decoder().decode(PersistedState.self, from: data)
        } catch {
            logger.error("state file unreadable; starting from a clean state", metadata: ["state_file": "\(path)", "error": "\(error)"])
            return PersistedState()
        }
    }

    func save(_ state: PersistedState) throws {
        let data = try Self.encoder().encode(state)
        let temporary = path + ".tmp"
        try data.write(to: URL(fileURLWithPath: temporary))
        guard rename(temporary, path) == 0 else {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: path])
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
