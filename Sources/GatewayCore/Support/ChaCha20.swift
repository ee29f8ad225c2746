/// The ChaCha20 block function (RFC 8439 §2.3): the keystream of a cryptographically secure
/// generator. Used for ids that clients see (request ids, anonymous user ids), which must not be
/// predictable from one another, without a system call per id.
public struct ChaCha20Block: Sendable {
    private var state: [UInt32]

    /// `key`: 8 words; `nonce`: 3 words; the block counter starts at `counter`.
    public init(key: [UInt32], nonce: [UInt32], counter: UInt32 = 0) {
        precondition(key.count == 8 && nonce.count == 3)
        state = [0x6170_7865, 0x3320_646E, 0x7962_2D32, 0x6B20_6574] + key + [counter] + nonce
    }

    /// The next 16 words of keystream; the counter advances.
    public mutating func next() -> [UInt32] {
        var working = state
        for _ in 0..<10 {
            Self.quarterRound(&working, 0, 4, 8, 12)
            Self.quarterRound(&working, 1, 5, 9, 13)
            Self.quarterRound(&working, 2, 6, 10, 14)
            Self.quarterRound(&working, 3, 7, 11, 15)
            Self.quarterRound(&working, 0, 5, 10, 15)
            Self.quarterRound(&working, 1, 6, 11, 12)
            Self.quarterRound(&working, 2, 7, 8, 13)
            Self.quarterRound(&working, 3, 4, 9, 14)
        }
        for index in 0..<16 { working[index] &+= state[index] }
        state[12] &+= 1
        if state[12] == 0 { state[13] &+= 1 }
        return working
    }

    private static func quarterRound(_ x: inout [UInt32], _ a: Int, _ b: Int, _ c: Int, _ d: Int) {
        x[a] &+= x[b]; x[d] ^= x[a]; x[d] = x[d] << 16 | x[d] >> 16
        x[c] &+= x[d]; x[b] ^= x[c]; x[b] = x[b] << 12 | x[b] >> 20
        x[a] &+= x[b]; x[d] ^= x[a]; x[d] = x[d] << 8 | x[d] >> 24
        x[c] &+= x[d]; x[b] ^= x[c]; x[b] = x[b] << 7 | x[b] >> 25
    }
}
