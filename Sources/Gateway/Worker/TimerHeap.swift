/// A worker's connection deadlines: a binary min-heap of (time, connection). An entry is never
/// removed early; when it comes due, the connection is asked whether its deadline really passed
/// (it may have moved later, or the connection closed) — so a keep-alive connection whose idle
/// deadline moves later with every request costs no heap work per request.
struct TimerHeap {
    private var entries: [(at: UInt64, connection: ClientConnection)] = []

    var nextDeadline: UInt64? { entries.first?.at }
    var count: Int { entries.count }

    mutating func push(_ at: UInt64, _ connection: ClientConnection) {
        entries.append((at, connection))
        var child = entries.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard entries[child].at < entries[parent].at else { break }
            entries.swapAt(child, parent)
            child = parent
        }
    }

    /// The earliest entry, if it is due at `now`.
    mutating func popDue(now: UInt64) -> (at: UInt64, connection: ClientConnection)? {
        guard let first = entries.first, first.at <= now else { return nil }
        let last = entries.removeLast()
        if !entries.isEmpty {
            entries[0] = last
            var parent = 0
            while true {
                let left = 2 * parent + 1
                let right = left + 1
                var smallest = parent
                if left < entries.count && entries[left].at < entries[smallest].at { smallest = left }
                if right < entries.count && entries[right].at < entries[smallest].at { smallest = right }
                if smallest == parent { break }
                entries.swapAt(parent, smallest)
                parent = smallest
            }
        }
        return first
    }

    mutating func removeAll() {
        entries.removeAll()
    }
}
