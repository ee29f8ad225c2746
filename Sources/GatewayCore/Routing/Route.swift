/// A request the flag decides. Everything that matches no route goes to old, undecided.
public struct Route: Sendable, Equatable {
    public var pathPrefix: String
    /// Upper-case method names; nil means every method.
    public var methods: Set<String>?

    public init(pathPrefix: String, methods: Set<String>? = nil) {
        self.pathPrefix = pathPrefix
        self.methods = methods
    }

    public func matches(path: Substring, method: String) -> Bool {
        if let methods, !methods.contains(method) { return false }
        return PathPrefix.matches(path, prefix: pathPrefix)
    }
}

extension Array where Element == Route {
    /// Whether the flag decides this request; `target` is the request-target (path and query).
    public func matches(target: String, method: String) -> Bool {
        let path = PathPrefix.path(of: target)
        return contains { $0.matches(path: path, method: method) }
    }
}

/// Segment-aware prefix matching: `/checkout` matches `/checkout` and `/checkout/x`, never
/// `/checkoutx`.
public enum PathPrefix {
    public static func matches(_ path: Substring, prefix: String) -> Bool {
        guard path.hasPrefix(prefix) else { return false }
        if prefix.hasSuffix("/") || path.utf8.count == prefix.utf8.count { return true }
        let next = path.utf8[path.utf8.index(path.utf8.startIndex, offsetBy: prefix.utf8.count)]
        return next == UInt8(ascii: "/")
    }

    /// The path of a request-target, without query or fragment.
    public static func path(of target: String) -> Substring {
        if let end = target.utf8.firstIndex(where: { $0 == UInt8(ascii: "?") || $0 == UInt8(ascii: "#") }) {
            return target[..<end]
        }
        return target[...]
    }
}

extension RequestMatch {
    public func matches(target: String, method: String) -> Bool {
        if let expected = self.method, expected != method { return false }
        return PathPrefix.matches(PathPrefix.path(of: target), prefix: pathPrefix)
    }
}
