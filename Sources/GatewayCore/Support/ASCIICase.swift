/// Case-insensitive comparison of ASCII header names without lower-casing (and so without
/// allocating) on the request path.
public enum ASCIICase {
    @inlinable
    public static func equals(_ lhs: some StringProtocol, _ rhs: some StringProtocol) -> Bool {
        let a = lhs.utf8
        let b = rhs.utf8
        guard a.count == b.count else { return false }
        // Native strings are contiguous UTF-8: compare the bytes in place.
        if let result = a.withContiguousStorageIfAvailable({ left in
            b.withContiguousStorageIfAvailable { right in
                for index in 0..<left.count where lower(left[index]) != lower(right[index]) { return false }
                return true
            }
        }), let result {
            return result
        }
        return zip(a, b).allSatisfy { lower($0) == lower($1) }
    }

    /// Whether `bytes` equal `name`, which must be lower-case ASCII.
    @inlinable
    public static func equals(_ bytes: UnsafeRawBufferPointer, lowercased name: StaticString) -> Bool {
        guard bytes.count == name.utf8CodeUnitCount else { return false }
        let expected = UnsafeRawBufferPointer(start: name.utf8Start, count: name.utf8CodeUnitCount)
        for index in 0..<bytes.count where lower(bytes[index]) != expected[index] { return false }
        return true
    }

    @inlinable
    static func lower(_ byte: UInt8) -> UInt8 {
        byte >= 0x41 && byte <= 0x5A ? byte | 0x20 : byte
    }

    /// Whether `bytes` spell `name`, ignoring ASCII case.
    @inlinable
    public static func equals(_ bytes: ArraySlice<UInt8>, _ name: some StringProtocol) -> Bool {
        let utf8 = name.utf8
        guard bytes.count == utf8.count else { return false }
        if let result = bytes.withUnsafeBufferPointer({ left in
            utf8.withContiguousStorageIfAvailable { right in
                for index in 0..<left.count where lower(left[index]) != lower(right[index]) { return false }
                return true
            }
        }) {
            return result
        }
        return zip(bytes, utf8).allSatisfy { lower($0) == lower($1) }
    }
}
