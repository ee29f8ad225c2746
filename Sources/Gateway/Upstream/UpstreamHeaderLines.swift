import CCurl

/// The header lines of an upstream request in libcurl's form (`Name: value`, or `Name;` for an
/// empty value), written straight into one byte buffer, each line ending in a NUL: no `String`
/// per line on the request path, and libcurl's list is linked over a copy of the buffer.
struct UpstreamHeaderLines: Sendable {
    private(set) var bytes: [UInt8] = []
    private(set) var count = 0

    init(capacity: Int = 512) {
        bytes.reserveCapacity(capacity)
    }

    /// `name: value`, or `name;` when the value is empty (libcurl drops `name:` lines).
    mutating func append(name: String, value: String) {
        append(name: name.utf8, value: value.utf8)
    }

    /// The same with name and value as bytes (a client's field, copied as received).
    mutating func append<Name: Collection<UInt8>, Value: Collection<UInt8>>(name: Name, value: Value) {
        bytes.append(contentsOf: name)
        if value.isEmpty {
            bytes.append(UInt8(ascii: ";"))
        } else {
            bytes.append(UInt8(ascii: ":"))
            bytes.append(UInt8(ascii: " "))
            bytes.append(contentsOf: value)
        }
        bytes.append(0)
        count += 1
    }

    /// `name: a, b, …, last`: the client's values of a list header with the gateway's own entry
    /// appended (`X-Forwarded-For`, `Via`).
    mutating func appendList(name: String, values: [ArraySlice<UInt8>], last: String?) {
        bytes.append(contentsOf: name.utf8)
        bytes.append(contentsOf: ": ".utf8)
        for (index, value) in values.enumerated() {
            if index > 0 { bytes.append(contentsOf: ", ".utf8) }
            bytes.append(contentsOf: value)
        }
        if let last {
            if !values.isEmpty { bytes.append(contentsOf: ", ".utf8) }
            bytes.append(contentsOf: last.utf8)
        }
        bytes.append(0)
        count += 1
    }

    /// `name:` with nothing after it: libcurl then sends no such header of its own.
    mutating func suppress(_ name: StaticString) {
        bytes.append(contentsOf: UnsafeBufferPointer(start: name.utf8Start, count: name.utf8CodeUnitCount))
        bytes.append(UInt8(ascii: ":"))
        bytes.append(0)
        count += 1
    }

    /// Copies the lines into memory of their own and links them as libcurl's list, in two
    /// allocations (libcurl's `curl_slist_append` makes two per line). libcurl only reads the
    /// list; it must stay valid until the transfer is done, and `free()` releases it.
    func makeList() -> HeaderList? {
        guard count > 0 else { return nil }
        let nodes = UnsafeMutablePointer<curl_slist>.allocate(capacity: count)
        let text = UnsafeMutablePointer<CChar>.allocate(capacity: bytes.count)
        bytes.withUnsafeBytes { source in
            UnsafeMutableRawPointer(text).copyMemory(from: source.baseAddress!, byteCount: source.count)
        }
        var start = 0
        var node = 0
        for index in 0..<bytes.count where bytes[index] == 0 {
            nodes[node] = curl_slist(data: text + start, next: node + 1 < count ? nodes + node + 1 : nil)
            node += 1
            start = index + 1
        }
        return HeaderList(nodes: nodes, text: text)
    }

    /// A header list built by `makeList`.
    struct HeaderList {
        let nodes: UnsafeMutablePointer<curl_slist>
        let text: UnsafeMutablePointer<CChar>

        func free() {
            nodes.deallocate()
            text.deallocate()
        }
    }
}
