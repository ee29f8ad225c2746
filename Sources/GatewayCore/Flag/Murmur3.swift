/// MurmurHash3 x86_32, fed incrementally so a bucket key (`group:identity`) is hashed straight
/// from its parts without building a joined string — no allocation on the request path.
public struct Murmur3x86_32 {
    private var hash: UInt32
    private var tail: UInt32 = 0
    private var tailCount = 0
    private var length = 0

    private static let c1: UInt32 = 0xcc9e_2d51
    private static let c2: UInt32 = 0x1b87_3593

    public init(seed: UInt32 = 0) {
        hash = seed
    }

    public mutating func combine<S: Sequence>(_ bytes: S) where S.Element == UInt8 {
        // A native string's UTF-8 is contiguous: hash it in place, without the view's iterator.
        let done: Void? = bytes.withContiguousStorageIfAvailable { buffer in
            for byte in buffer { combine(byte) }
        }
        if done == nil {
            for byte in bytes { combine(byte) }
        }
    }

    @inline(__always)
    public mutating func combine(_ byte: UInt8) {
        tail |= UInt32(byte) << (8 * UInt32(tailCount))
        tailCount += 1
        length += 1
        if tailCount == 4 {
            hash ^= Self.scramble(tail)
            hash = (hash << 13 | hash >> 19) &* 5 &+ 0xe654_6b64
            tail = 0
            tailCount = 0
        }
    }

    public func finalize() -> UInt32 {
        var h = hash
        if tailCount > 0 { h ^= Self.scramble(tail) }
        h ^= UInt32(truncatingIfNeeded: length)
        h ^= h >> 16
        h = h &* 0x85eb_ca6b
        h ^= h >> 13
        h = h &* 0xc2b2_ae35
        h ^= h >> 16
        return h
    }

    public static func hash<S: Sequence>(_ bytes: S, seed: UInt32 = 0) -> UInt32 where S.Element == UInt8 {
        var hasher = Murmur3x86_32(seed: seed)
        hasher.combine(bytes)
        return hasher.finalize()
    }

    @inline(__always)
    private static func scramble(_ k: UInt32) -> UInt32 {
        var k = k &* c1
        k = k << 15 | k >> 17
        return k &* c2
    }
}
