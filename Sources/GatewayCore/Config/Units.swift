/// Parsers for the human units of `gateway.yaml`: durations (`250ms`, `1.5s`, `30m`, `1d`) and
/// sizes (`512B`, `32KiB`, `1MiB`). They return nil on anything else; the caller names the key.
public enum Units {
    public static func duration(_ text: String) -> Duration? {
        if text == "0" { return .zero }  // zero needs no unit
        let units: [(suffix: String, milliseconds: Double)] = [
            ("ms", 1), ("s", 1000), ("m", 60_000), ("h", 3_600_000), ("d", 86_400_000),
        ]
        for unit in units where text.hasSuffix(unit.suffix) {
            let number = text.dropLast(unit.suffix.count)
            guard let value = decimal(number), value >= 0 else { continue }
            let milliseconds = value * unit.milliseconds
            guard milliseconds <= 10 * 365 * 86_400_000 else { return nil }
            return .milliseconds(Int64(milliseconds.rounded()))
        }
        return nil
    }

    public static func size(_ text: String) -> Int? {
        let units: [(suffix: String, bytes: Int)] = [
            ("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10), ("B", 1),
        ]
        for unit in units where text.hasSuffix(unit.suffix) {
            let number = text.dropLast(unit.suffix.count)
            guard let value = decimal(number), value >= 0 else { return nil }
            let bytes = value * Double(unit.bytes)
            guard bytes <= Double(1 << 40), bytes == bytes.rounded() else { return nil }
            return Int(bytes)
        }
        return nil
    }

    /// Digits with at most one decimal point; no sign, exponent or spaces.
    private static func decimal(_ text: Substring) -> Double? {
        guard !text.isEmpty, text.first != ".", text.last != ".",
            text.allSatisfy({ $0.isASCII && ($0.isNumber || $0 == ".") }),
            text.filter({ $0 == "." }).count <= 1
        else { return nil }
        return Double(text)
    }
}

extension Duration {
    /// Whole milliseconds, rounded down; what libcurl's `*_MS` options and the logs take.
    public var milliseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1000 + attoseconds / 1_000_000_000_000_000
    }
}
