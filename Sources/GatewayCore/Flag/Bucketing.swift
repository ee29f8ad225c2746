/// Unleash's gradual-rollout bucketing: any Unleash SDK with a `flexibleRollout` strategy on the
/// same group id agrees with the gateway on every user.
public enum Bucketing {
    /// `murmur3_x86_32("<groupID>:<identity>", seed 0) % 100 + 1`, a number from 1 to 100.
    public static func bucket(groupID: String, identity: some StringProtocol) -> Int {
        var hasher = Murmur3x86_32(seed: 0)
        hasher.combine(groupID.utf8)
        hasher.combine(UInt8(ascii: ":"))
        hasher.combine(identity.utf8)
        return Int(hasher.finalize() % 100) + 1
    }

    /// Whether a bucket is inside a rollout of `percent`: raising the percent only ever adds users.
    public static func isIn(bucket: Int, percent: Int) -> Bool {
        percent > 0 && bucket <= percent
    }
}
