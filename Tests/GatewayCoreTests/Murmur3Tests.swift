import GatewayCore
import Testing

@Suite("MurmurHash3 x86_32")
struct Murmur3Tests {
    /// Published vectors of the reference implementation (SMHasher), unsigned.
    @Test(arguments: [
        ("", UInt32(0), UInt32(0)),
        ("", 1, 0x514E_28B7),
        ("test", 0, 0xBA6B_D213),
        ("Hello, world!", 1234, 0xFAF6_CDB3),
        ("The quick brown fox jumps over the lazy dog", 0, 0x2E4F_F723),
        ("a", 0, 0x3C25_69B2),
        ("abc", 0, 0xB3DD_93FA),
        ("abcd", 0, 0x43ED_676A),
        ("abcde", 0, 0xE89B_9AF6),
    ])
    func publishedVectors(input: String, seed: UInt32, expected: UInt32) {
        #expect(Murmur3x86_32.hash(input.utf8, seed: seed) == expected)
    }

    @Test func incrementalFeedingEqualsOneShot() {
        let text = "new-checkout:some-user-id-1234567"
        for split in 0...text.utf8.count {
            var hasher = Murmur3x86_32()
            hasher.combine(text.utf8.prefix(split))
            hasher.combine(text.utf8.dropFirst(split))
            #expect(hasher.finalize() == Murmur3x86_32.hash(text.utf8))
        }
    }
}
