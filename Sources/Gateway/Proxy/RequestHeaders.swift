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

    /// The first field named `name` that is passed on.
    private func first(_ name: String) -> ParsedRequestHead.Field? {
        var found: ParsedRequestHead.Field?
        head.forEachIndex(named: name) { (index: Int) -> Bool in
            let field = head.fields[index]
            if filter.drops(head.bytes[field.name]) { return true }
            found = field
            return false
        }
        return found
    }

    public func header(_ name: String) -> String? {
        first(name).map(head.value(of:))
    }

    /// Whether a field named `name` is passed on with a non-empty value.
    func hasNonEmpty(_ name: String) -> Bool {
        first(name).map { !$0.value.isEmpty } ?? false
    }

    public func cookie(_ name: String) -> Substring? {
        var found: Substring?
        head.forEachIndex(named: "cookie") { (index: Int) -> Bool in
            let field = head.fields[index]
            if filter.drops(head.bytes[field.name]) { return true }
            found = CookieHeader.value(named: name, in: head.value(of: field))
            return found == nil
        }
        return found
    }
}
