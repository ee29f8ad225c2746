/// The small JSON body of every answer the gateway makes itself.
enum ErrorBody {
    static func make(_ message: String, requestID: String) -> [UInt8] {
        Array("{\"error\": \(JSONString.quote(message)), \"request_id\": \(JSONString.quote(requestID))}\n".utf8)
    }
}

/// Minimal JSON string quoting for the gateway's own bodies.
enum JSONString {
    static func quote(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}
