import GatewayCore

/// A client request's header fields as the gateway passes them on: hop-by-hop fields and the
/// fields its `Connection` header names are left out, so such a field can never steer the flag
/// decision nor reach an upstream. Fields stay bytes in the parsed head; a lookup makes a
/// `String` of the one value it returns.
public struct RequestHeaders: RequestAttributes {
    public let head: ParsedRequestHead
    private let filter: HeaderRules.HopByHopFilter

    public init(_ head: ParsedRequestHead) {
        self.head = head
        let connection = head.values(named: "connection")
        filter = HeaderRules.HopByHopFilter(connectionValues: connection)
    }

    /// Calls `body` with every field that is passed on, in order.
    func forEachField(_ body: (ParsedRequestHead.Field) -> Void) {
        for field in head.fields where !filter.drops(head.bytes[field.name]) { body(field) }
    }

    public func header(_ name: String) -> String? {
        for field in head.fields where head.field(field, isNamed: name) && !filter.drops(head.bytes[field.name]) {
            return head.value(of: field)
        }
        return nil
    }

    /// Whether a field named `name` is passed on with a non-empty value.
    func hasNonEmpty(_ name: String) -> Bool {
        for field in head.fields where head.field(field, isNamed: name) && !filter.drops(head.bytes[field.name]) {
            return !field.value.isEmpty
        }
        return false
    }

    public func cookie(_ name: String) -> Substring? {
        for field in head.fields where head.field(field, isNamed: "cookie") && !filter.drops(head.bytes[field.name]) {
            if let found = CookieHeader.value(named: name, in: head.value(of: field)) { return found }
        }
        return nil
    }
}
