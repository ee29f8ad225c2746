import GatewayCore

/// 128-bit random ids as 32 lower-case hex digits: request ids and anonymous user ids.
///
/// Drawn from a ChaCha20 keystream per connection, keyed from the system's generator: clients
/// see these ids (an anonymous id is a shopper's identity for bucketing), so one must not be
/// predictable from others — which a fast non-cryptographic generator such as xoshiro allows —
/// and one ChaCha20 block gives four ids without a system call.
struct RandomID {
    private var block: ChaCha20Block
    private var words: [UInt32] = []
    private var used = 0

    init() {
        var system = SystemRandomNumberGenerator()
        let key = (0..<8).map { _ in UInt32.random(in: 0...UInt32.max, using: &system) }
        let nonce = (0..<3).map { _ in UInt32.random(in: 0...UInt32.max, using: &system) }
        block = ChaCha20Block(key: key, nonce: nonce)
    }

    mutating func make() -> String {
        if used == words.count {
            words = block.next()
            used = 0
        }
        defer { used += 4 }
        let high = UInt64(words[used]) << 32 | UInt64(words[used + 1])
        let low = UInt64(words[used + 2]) << 32 | UInt64(words[used + 3])
        return String(unsafeUninitializedCapacity: 32) { buffer in
            Self.writeHex(high, into: buffer, at: 0)
            Self.writeHex(low, into: buffer, at: 16)
            return 32
        }
    }

    private static func writeHex(_ value: UInt64, into buffer: UnsafeMutableBufferPointer<UInt8>, at offset: Int) {
        let digits: StaticString = "0123456789abcdef"
        for index in 0..<16 {
            let nibble = Int((value >> UInt64(60 - index * 4)) & 0xF)
            buffer[offset + index] = digits.utf8Start[nibble]
        }
    }
}
