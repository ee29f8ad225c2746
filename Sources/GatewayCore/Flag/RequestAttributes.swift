/// What the flag decision may read from a request: header values and cookies. The proxy reads
/// them from HTTP headers; OFREP reads them from the evaluation context.
public protocol RequestAttributes {
    /// The value of a header, matched case-insensitively; nil when absent.
    func header(_ name: String) -> String?
    /// The value of a cookie; nil when absent.
    func cookie(_ name: String) -> Substring?
}

/// Cookie header parsing (RFC 6265 §5.4: `name=value` pairs separated by `;`).
public enum CookieHeader {
    public static func value(named name: String, in header: String) -> Substring? {
        for pair in header.split(separator: ";") {
            let trimmed = pair.drop { $0 == " " || $0 == "\t" }
            guard let equals = trimmed.firstIndex(of: "=") else { continue }
            if trimmed[..<equals].elementsEqual(name) {
                var value = trimmed[trimmed.index(after: equals)...]
                while value.last == " " || value.last == "\t" { value = value.dropLast() }
                if value.count >= 2, value.first == "\"", value.last == "\"" { value = value.dropFirst().dropLast() }
                return value
            }
        }
        return nil
    }
}
