/// An upstream's response head, collected from the header lines libcurl hands over one at a
/// time: the fields to pass on, and what makes the answer unusable. Pure, so the fuzzer and the
/// unit tests drive it without libcurl.
public struct ResponseHead: Sendable {
    public private(set) var headers: [(name: String, value: String)] = []
    /// A line that is not `name: value` with a token name and a value without control characters.
    public private(set) var malformed = false
    private var contentLengths: [String] = []
    private var sawTransferEncoding = false

    public init() {
        headers.reserveCapacity(8)
    }

    /// One header line as received, line ending included or not.
    public mutating func receive(line raw: UnsafeRawBufferPointer) {
        var end = raw.count
        while end > 0, raw[end - 1] == UInt8(ascii: "\n") || raw[end - 1] == UInt8(ascii: "\r") { end -= 1 }
        let line = UnsafeRawBufferPointer(rebasing: raw[0..<end])
        if line.starts(with: "HTTP/".utf8) {
            // A new status line: an interim 1xx answer came before, or this is the first.
            headers.removeAll(keepingCapacity: true)
            contentLengths.removeAll()
            sawTransferEncoding = false
            return
        }
        if line.isEmpty { return }
        guard let colon = line.firstIndex(of: UInt8(ascii: ":")), colon > 0, line[0..<colon].allSatisfy(HTTPBytes.isTokenByte) else {
            malformed = true
            return
        }
        var valueStart = colon + 1
        var valueEnd = line.count
        while valueStart < valueEnd, line[valueStart] == 0x20 || line[valueStart] == 0x09 { valueStart += 1 }
        while valueEnd > valueStart, line[valueEnd - 1] == 0x20 || line[valueEnd - 1] == 0x09 { valueEnd -= 1 }
        let valueBytes = UnsafeRawBufferPointer(rebasing: line[valueStart..<valueEnd])
        guard valueBytes.allSatisfy(HTTPBytes.isValueByte) else {
            malformed = true
            return
        }
        let nameBytes = UnsafeRawBufferPointer(rebasing: line[0..<colon])
        let value = String(decoding: valueBytes, as: UTF8.self)
        if ASCIICase.equals(nameBytes, lowercased: "content-length") {
            if !contentLengths.contains(value) { contentLengths.append(value) }
        } else if ASCIICase.equals(nameBytes, lowercased: "transfer-encoding") {
            sawTransferEncoding = true
        }
        headers.append((String(decoding: nameBytes, as: UTF8.self), value))
    }

    /// Framing a proxy must not pass on: two different Content-Lengths, or Content-Length with
    /// Transfer-Encoding (RFC 9112 §6.3: request smuggling material).
    public var hasAmbiguousFraming: Bool {
        contentLengths.count > 1 || (!contentLengths.isEmpty && sawTransferEncoding)
    }
}
