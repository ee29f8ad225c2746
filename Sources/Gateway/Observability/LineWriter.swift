import Foundation

/// Writes log lines to a file descriptor (stdout, stderr) from a thread of its own, so that no
/// event loop ever waits on a slow, full or broken output.
///
/// Lines wait in a bounded queue; when it is full (the reader does not keep up, or nobody reads
/// a pipe) new lines are dropped and counted, never the request that logged them. A failed
/// write (a broken pipe, a full disk) drops that batch and counts it; nothing crashes.
///
/// `@unchecked Sendable`: `queue`, `dropped`, `writing` and `waiting` are only touched while
/// holding `condition`; the descriptor is written only by the writer thread.
public final class LineWriter: @unchecked Sendable {
    public static let standardOutput = LineWriter(descriptor: STDOUT_FILENO, name: "log-stdout")
    public static let standardError = LineWriter(descriptor: STDERR_FILENO, name: "log-stderr")

    /// Lines kept while the output is slower than the gateway; about 8 MiB of access lines.
    public static let defaultCapacity = 32_768

    private let descriptor: Int32
    private let capacity: Int
    private let condition = NSCondition()
    private var queue: [String] = []
    private var dropped = 0
    private var writing = false
    /// The writer thread sleeps on `condition`; only then does a new line need a wake-up.
    private var waiting = false

    public init(descriptor: Int32, name: String, capacity: Int = LineWriter.defaultCapacity) {
        self.descriptor = descriptor
        self.capacity = capacity
        queue.reserveCapacity(256)
        // A closed reader must give EPIPE, not a signal that ends the process.
        signal(SIGPIPE, SIG_IGN)
        let thread = Thread { [self] in run() }
        thread.name = name
        thread.start()
    }

    /// Queues one line (a newline is added); never blocks on the output.
    public func write(_ line: String) {
        condition.lock()
        defer { condition.unlock() }
        guard queue.count < capacity else {
            dropped += 1
            return
        }
        queue.append(line)
        if waiting { condition.signal() }
    }

    /// Lines dropped so far because the queue was full or the output failed.
    public var droppedLines: Int { locked { dropped } }

    private func locked<T>(_ body: () -> T) -> T {
        condition.lock()
        defer { condition.unlock() }
        return body()
    }

    /// Waits until every queued line is written, at most `limit`: for the last lines before exit.
    public func drain(within limit: Duration) {
        let deadline = ContinuousClock.now + limit
        while ContinuousClock.now < deadline {
            if locked({ queue.isEmpty && !writing }) { return }
            usleep(5_000)
        }
    }

    private func run() {
        var batch: [String] = []
        while true {
            condition.lock()
            while queue.isEmpty {
                waiting = true
                condition.wait()
                waiting = false
            }
            swap(&batch, &queue)
            writing = true
            condition.unlock()
            var bytes: [UInt8] = []
            bytes.reserveCapacity(batch.reduce(0) { $0 + $1.utf8.count + 1 })
            for line in batch {
                bytes.append(contentsOf: line.utf8)
                bytes.append(0x0A)
            }
            let failed = !writeAll(bytes)
            locked {
                if failed { dropped += batch.count }
                writing = false
            }
            batch.removeAll(keepingCapacity: true)
        }
    }

    private func writeAll(_ bytes: [UInt8]) -> Bool {
        bytes.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let written = Glibc.write(descriptor, buffer.baseAddress! + offset, buffer.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    return false
                }
                offset += written
            }
            return true
        }
    }
}
