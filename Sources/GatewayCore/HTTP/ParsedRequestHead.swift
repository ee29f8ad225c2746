/// A request head as the parser accepted it: syntax and message framing already checked
/// (RFC 9112 and the README's "Bad input"); what the gateway then decides about it is the caller's.
///
/// The header fields stay bytes: one copy of the header section and a name and value range per
/// field. The request path asks for the few values it needs (the decision reads two or three)
/// and copies the rest to the upstream as bytes, so no `String` is made per header.
public struct ParsedRequestHead: Sendable {
    public enum Framing: Sendable, Equatable {
        /// No body follows (no Content-Length, or Content-Length: 0).
        case none
        case contentLength(Int)
        case chunked
    }

    /// Where one field's name and value (without surrounding whitespace) are in `bytes`.
    public struct Field: Sendable, Equatable {
        public var name: Range<Int>
        public var value: Range<Int>

        public init(name: Range<Int>, value: Range<Int>) {
            self.name = name
            self.value = value
        }
    }

    public var method: String
    public var target: String
    /// 0 for HTTP/1.0, 1 for HTTP/1.1 (the only versions accepted).
    public var minorVersion: Int
    /// The header section as received; `fields` index into it.
    public let bytes: [UInt8]
    /// The fields in order.
    public let fields: [Field]
    public var framing: Framing

    public init(method: String, target: String, minorVersion: Int, bytes: [UInt8], fields: [Field], framing: Framing) {
        self.method = method
        self.target = target
        self.minorVersion = minorVersion
        self.bytes = bytes
        self.fields = fields
        self.framing = framing
    }

    /// A head from names and values (tests, and requests made by hand).
    public init(method: String, target: String, minorVersion: Int, headers: [(name: String, value: String)], framing: Framing) {
        var bytes: [UInt8] = []
        var fields: [Field] = []
        for (name, value) in headers {
            let nameStart = bytes.count
            bytes.append(contentsOf: name.utf8)
            let valueStart = bytes.count
            bytes.append(contentsOf: value.utf8)
            fields.append(Field(name: nameStart..<valueStart, value: valueStart..<bytes.count))
        }
        self.init(method: method, target: target, minorVersion: minorVersion, bytes: bytes, fields: fields, framing: framing)
    }

    /// Every field as text (tests, logs and the rare paths that need them all).
    public var headers: [(name: String, value: String)] {
        fields.map { (name(of: $0), value(of: $0)) }
    }

    public func name(of field: Field) -> String {
        String(decoding: bytes[field.name], as: UTF8.self)
    }

    public func value(of field: Field) -> String {
        String(decoding: bytes[field.value], as: UTF8.self)
    }

    /// Calls `body` with the position of each field named `name` (ASCII case-insensitive,
    /// compared in place over the bytes: the one scan every lookup makes), in order; stops when
    /// it returns false.
    public func forEachIndex(named name: String, _ body: (Int) -> Bool) {
        var name = name
        name.withUTF8 { wanted in
            bytes.withUnsafeBufferPointer { section in
                for (index, field) in fields.enumerated() where field.name.count == wanted.count {
                    var same = true
                    for offset in 0..<wanted.count
                    where ASCIICase.lower(section[field.name.lowerBound + offset]) != ASCIICase.lower(wanted[offset]) {
                        same = false
                        break
                    }
                    if same && !body(index) { return }
                }
            }
        }
    }

    /// Every value of `name`.
    public func values(named name: String) -> [String] {
        var values: [String] = []
        forEachIndex(named: name) { (index: Int) -> Bool in
            values.append(value(of: fields[index]))
            return true
        }
        return values
    }

    /// How many fields are named `name` (no allocation: this runs for every routed request).
    public func count(named name: String) -> Int {
        var count = 0
        forEachIndex(named: name) { (_: Int) -> Bool in
            count += 1
            return true
        }
        return count
    }
}

extension ParsedRequestHead: Equatable {
    public static func == (lhs: ParsedRequestHead, rhs: ParsedRequestHead) -> Bool {
        lhs.method == rhs.method && lhs.target == rhs.target && lhs.minorVersion == rhs.minorVersion
            && lhs.framing == rhs.framing && lhs.headers.elementsEqual(rhs.headers) { $0.name == $1.name && $0.value == $1.value }
    }
}
