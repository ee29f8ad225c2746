import Crypto

/// The signed `gw_pin` cookie: "this shopper started a checkout on new; keep them there until
/// they finish or it expires", so a manual ramp-down never moves someone half-way through paying.
///
/// Value: `v1.<expiry, unix seconds>.<HMAC-SHA256 of flag key, identity and expiry, hex>`.
/// Bound to the flag and the identity, so it cannot be moved to another shopper or flag; a
/// forged, altered or expired pin is ignored. The key comes from `GATEWAY_PIN_KEY` (a fleet must
/// share it), else a random key of this process.
public struct CheckoutPins: Sendable {
    public static let cookieName = "gw_pin"
    public static let keyEnvironment = "GATEWAY_PIN_KEY"
    private let key: SymmetricKey

    public init(key: [UInt8]) {
        self.key = SymmetricKey(data: key)
    }

    /// A random 256-bit key, for a gateway without `GATEWAY_PIN_KEY`.
    public static func randomKey() -> [UInt8] {
        SymmetricKey(size: .bits256).withUnsafeBytes { Array($0) }
    }

    public func value(flag: String, identity: String, expires: Int) -> String {
        "v1.\(expires).\(signature(flag: flag, identity: identity, expires: expires))"
    }

    /// Whether `value` is a pin of this key for `flag` and `identity` that has not expired at `now`.
    public func isValid(_ value: Substring, flag: String, identity: String, now: Int) -> Bool {
        let parts = value.split(separator: ".", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0] == "v1", let expires = Int(parts[1]), expires > now else { return false }
        let expected = signature(flag: flag, identity: identity, expires: expires)
        return ConstantTime.equals(String(parts[2]), expected)
    }

    /// The MAC as lowercase hex: cookie-safe as it is, and no Foundation on the request path.
    private func signature(flag: String, identity: String, expires: Int) -> String {
        // Lengths first, so no two (flag, identity) pairs sign the same bytes.
        let message = "\(flag.utf8.count):\(flag)|\(identity.utf8.count):\(identity)|\(expires)"
        let mac = HMAC<SHA256>.authenticationCode(for: Array(message.utf8), using: key)
        return String(unsafeUninitializedCapacity: SHA256.byteCount * 2) { buffer in
            var index = 0
            for byte in mac {
                buffer[index] = Self.hexDigits[Int(byte >> 4)]
                buffer[index + 1] = Self.hexDigits[Int(byte & 0x0F)]
                index += 2
            }
            return index
        }
    }

    private static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)
}
