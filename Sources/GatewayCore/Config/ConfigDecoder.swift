import Foundation

/// Reads typed values out of YAML nodes and collects every problem instead of stopping at the
/// first, so `validate` can list all mistakes of a file in one run.
///
/// Each accessor returns nil when the value is absent or wrong (after recording why); callers
/// then keep the documented default and carry on.
struct ConfigDecoder {
    private(set) var problems: [ConfigProblem] = []

    mutating func fail(_ mark: SourceMark, _ message: String) {
        problems.append(ConfigProblem(mark, message))
    }

    /// A mapping whose keys must all be in `allowed`.
    mutating func mapping(_ node: YAMLNode?, _ path: String, allowed: [String]) -> YAMLMapping? {
        guard let node else { return nil }
        guard case .mapping(let mapping) = node else {
            fail(node.mark, "\(path) must be a mapping, got \(describe(node))")
            return nil
        }
        for entry in mapping.entries where !allowed.contains(entry.key.value) {
            let place = path.isEmpty ? "" : " in \(path)"
            fail(entry.key.mark, "unknown key '\(entry.key.value)'\(place); expected one of: \(allowed.joined(separator: ", "))")
        }
        return mapping
    }

    mutating func required(_ node: YAMLNode?, in parent: YAMLMapping, _ path: String) -> YAMLNode? {
        if node == nil { fail(parent.mark, "missing required key '\(path)'") }
        return node
    }

    mutating func list(_ node: YAMLNode?, _ path: String) -> [YAMLNode]? {
        guard let node else { return nil }
        guard case .sequence(let sequence) = node else {
            fail(node.mark, "\(path) must be a list, got \(describe(node))")
            return nil
        }
        return sequence.items
    }

    mutating func string(_ node: YAMLNode?, _ path: String, allowEmpty: Bool = false) -> String? {
        guard let node else { return nil }
        guard case .scalar(let scalar) = node, !scalar.isNull || allowEmpty else {
            fail(node.mark, "\(path) must be a string, got \(describe(node))")
            return nil
        }
        if !allowEmpty && scalar.value.isEmpty {
            fail(node.mark, "\(path) must not be empty")
            return nil
        }
        return scalar.value
    }

    mutating func integer(_ node: YAMLNode?, _ path: String, in range: ClosedRange<Int>) -> Int? {
        guard let node else { return nil }
        let text = plainText(node)
        guard let text, let value = Int(text), range.contains(value) else {
            let bounds = range.upperBound == Int.max ? "of at least \(range.lowerBound)" : "from \(range.lowerBound) to \(range.upperBound)"
            fail(node.mark, "\(path) must be a whole number \(bounds), got \(describe(node))")
            return nil
        }
        return value
    }

    mutating func number(_ node: YAMLNode?, _ path: String, in range: ClosedRange<Double>, minExclusive: Bool = false) -> Double? {
        guard let node else { return nil }
        guard let text = plainText(node), let value = Double(text), value.isFinite, range.contains(value),
            !(minExclusive && value == range.lowerBound)
        else {
            let lower = minExclusive ? "above \(range.lowerBound)" : "from \(range.lowerBound)"
            let bounds = range.upperBound == .greatestFiniteMagnitude ? lower : "\(lower) to \(range.upperBound)"
            fail(node.mark, "\(path) must be a number \(bounds), got \(describe(node))")
            return nil
        }
        return value
    }

    mutating func bool(_ node: YAMLNode?, _ path: String) -> Bool? {
        guard let node else { return nil }
        switch plainText(node) {
        case "true": return true
        case "false": return false
        default:
            fail(node.mark, "\(path) must be true or false, got \(describe(node))")
            return nil
        }
    }

    mutating func duration(_ node: YAMLNode?, _ path: String, positive: Bool = true) -> Duration? {
        guard let node else { return nil }
        guard let text = plainText(node), let value = Units.duration(text), !positive || value > .zero else {
            let qualifier = positive ? "a positive duration" : "a duration (0 turns it off)"
            fail(node.mark, "\(path) must be \(qualifier) like 250ms, 1.5s, 30m, 2h or 1d, got \(describe(node))")
            return nil
        }
        return value
    }

    mutating func size(_ node: YAMLNode?, _ path: String) -> Int? {
        guard let node else { return nil }
        guard let text = plainText(node), let value = Units.size(text), value > 0 else {
            fail(node.mark, "\(path) must be a positive size like 512B, 32KiB, 1MiB or 1GiB, got \(describe(node))")
            return nil
        }
        return value
    }

    mutating func choice<T: RawRepresentable & CaseIterable>(_ node: YAMLNode?, _ path: String, as: T.Type) -> T?
    where T.RawValue == String {
        guard let node else { return nil }
        guard let text = plainText(node) ?? quotedText(node), let value = T(rawValue: text) else {
            let options = T.allCases.map(\.rawValue).joined(separator: ", ")
            fail(node.mark, "\(path) must be one of \(options), got \(describe(node))")
            return nil
        }
        return value
    }

    mutating func hostPort(_ node: YAMLNode?, _ path: String) -> HostPort? {
        guard let node else { return nil }
        guard let text = plainText(node) ?? quotedText(node), let value = Self.parseHostPort(text) else {
            fail(node.mark, "\(path) must be host:port such as 127.0.0.1:8080 or [::1]:8080, got \(describe(node))")
            return nil
        }
        return value
    }

    mutating func token(_ node: YAMLNode?, _ path: String, what: String = "an HTTP header name") -> String? {
        guard let text = string(node, path) else { return nil }
        let allowed = Set("!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
        guard text.allSatisfy({ allowed.contains($0) }) else {
            fail(node!.mark, "\(path) must be \(what), got \(describe(node!))")
            return nil
        }
        return text
    }

    mutating func envName(_ node: YAMLNode?, _ path: String) -> String? {
        guard let text = string(node, path) else { return nil }
        let valid =
            text.first.map { $0 == "_" || ($0.isASCII && $0.isLetter) } == true
            && text.allSatisfy { $0 == "_" || ($0.isASCII && ($0.isLetter || $0.isNumber)) }
        guard valid else {
            fail(node!.mark, "\(path) must be an environment variable name such as GATEWAY_ADMIN_TOKEN, got \(describe(node!))")
            return nil
        }
        return text
    }

    mutating func timestamp(_ node: YAMLNode?, _ path: String) -> Date? {
        guard let node else { return nil }
        guard let text = plainText(node) ?? quotedText(node), let date = Self.parseRFC3339(text) else {
            fail(node.mark, "\(path) must be an RFC 3339 time such as 2026-12-01T09:00:00Z, got \(describe(node))")
            return nil
        }
        return date
    }

    // MARK: - Helpers

    static func parseHostPort(_ text: String) -> HostPort? {
        let host: Substring
        let portText: Substring
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]"), text[text.index(after: close)...].hasPrefix(":") else { return nil }
            host = text[text.index(after: text.startIndex)..<close]
            portText = text[text.index(close, offsetBy: 2)...]
        } else {
            guard let colon = text.lastIndex(of: ":") else { return nil }
            host = text[..<colon]
            portText = text[text.index(after: colon)...]
            if host.contains(":") { return nil }
        }
        guard !host.isEmpty, !portText.isEmpty, portText.allSatisfy(\.isNumber),
            let port = Int(portText), (0...65535).contains(port)
        else { return nil }
        return HostPort(host: String(host), port: port)
    }

    static func parseRFC3339(_ text: String) -> Date? {
        let plain = ISO8601DateFormatter()
        plain.formatOptions = [.withInternetDateTime]
        if let date = plain.date(from: text) { return date }
        let fractional = ISO8601DateFormatter()
        fractional.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return fractional.date(from: text)
    }

    /// The text of a plain (unquoted) scalar: numbers, booleans and units are written plain.
    private func plainText(_ node: YAMLNode) -> String? {
        guard case .scalar(let scalar) = node, scalar.isPlain, !scalar.isNull else { return nil }
        return scalar.value
    }

    private func quotedText(_ node: YAMLNode) -> String? {
        guard case .scalar(let scalar) = node, !scalar.isPlain else { return nil }
        return scalar.value
    }

    func describe(_ node: YAMLNode) -> String {
        switch node {
        case .scalar(let scalar):
            if scalar.isNull { return "nothing" }
            return scalar.isPlain ? scalar.value : "\"\(scalar.value)\" (a quoted string)"
        default:
            return node.kindName
        }
    }
}
