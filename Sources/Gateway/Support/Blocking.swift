import Dispatch

/// Blocking work (file reads of a reload) moved off Swift's cooperative pool, whose few threads
/// the admin handlers and the service need.
enum Blocking {
    static func run<T: Sendable>(_ work: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { continuation in
            DispatchQueue.global().async { continuation.resume(returning: work()) }
        }
    }
}
