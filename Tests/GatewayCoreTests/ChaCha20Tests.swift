import GatewayCore
import Testing

@Suite("ChaCha20 block function")
struct ChaCha20Tests {
    /// RFC 8439 §2.3.2: key 00 01 … 1f, nonce 00:00:00:09 00:00:00:4a 00:00:00:00, counter 1.
    @Test func theRFC8439TestVector() {
        let key: [UInt32] = [0x0302_0100, 0x0706_0504, 0x0b0a_0908, 0x0f0e_0d0c, 0x1312_1110, 0x1716_1514, 0x1b1a_1918, 0x1f1e_1d1c]
        var block = ChaCha20Block(key: key, nonce: [0x0900_0000, 0x4a00_0000, 0x0000_0000], counter: 1)
        #expect(
            block.next() == [
                0xe4e7_f110, 0x1559_3bd1, 0x1fdd_0f50, 0xc471_20a3,
                0xc7f4_d1c7, 0x0368_c033, 0x9aaa_2204, 0x4e6c_d4c3,
                0x4664_82d2, 0x09aa_9f07, 0x05d7_c214, 0xa202_8bd9,
                0xd19c_12b5, 0xb94e_16de, 0xe883_d0cb, 0x4e3c_50a2,
            ])
        #expect(block.next() != block.next(), "the counter advances")
    }
}
