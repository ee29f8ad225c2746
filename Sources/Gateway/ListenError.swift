import Glibc
import NIOCore

/// A listener that could not be opened, named by its address and the setting that chose it, so
/// the operator knows what to change (not NIO's `bind(descriptor:ptr:bytes:)` wording).
public struct ListenError: Error, CustomStringConvertible {
    public var address: String
    /// `listen`, `admin.listen`, or what else chose the address.
    public var setting: String
    public var reason: String

    public var description: String {
        "cannot listen on \(address) (\(setting)): \(reason); free the address or change \(setting)"
    }

    /// Runs `bind`, turning a failure into a `ListenError` for `address`.
    static func naming<T>(_ address: String, _ setting: String, _ bind: () async throws -> T) async throws -> T {
        do {
            return try await bind()
        } catch let error as IOError {
            let reason = error.errnoCode == EADDRINUSE ? "the address is already in use by another process" : "\(error)"
            throw ListenError(address: address, setting: setting, reason: reason)
        } catch {
            throw ListenError(address: address, setting: setting, reason: "\(error)")
        }
    }
}
