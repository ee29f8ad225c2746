import Dispatch

/// Runs blocking work (the command-line tools' libcurl easy calls) on a Dispatch thread, so it
/// never occupies one of the few threads of Swift's cooperative pool that the gateway's admin
/// handlers need.
func offThePool<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        DispatchQueue.global().async {
            continuation.resume(with: Result { try work() })
        }
    }
}
