import Crypto

/// The SHA-256 of a content as lowercase hex: the config's identity in `/status`, metrics and
/// the fleet's records, the ramp's schedule fingerprint and OFREP ETags. The digest is
/// swift-crypto's (BoringSSL on Linux).
public enum ContentHash {
    public static func sha256Hex<Bytes: Sequence>(_ content: Bytes) -> String where Bytes.Element == UInt8 {
        var hasher = SHA256()
        hasher.update(data: Array(content))
        return hasher.finalize().map(hexDigits).joined()
    }

    private static func hexDigits(_ byte: UInt8) -> String {
        let digits = String(byte, radix: 16)
        return byte < 16 ? "0" + digits : digits
    }
}
