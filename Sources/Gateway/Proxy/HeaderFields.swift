import GatewayCore

/// Header fields in order, as the request parser gives them and as answers are written: a
/// plain array, so the request path builds no dictionary and no NIO type.
typealias HeaderFields = [(name: String, value: String)]

extension Array where Element == (name: String, value: String) {
    /// The first value of `name` (case-insensitive).
    func first(name: String) -> String? {
        for field in self where ASCIICase.equals(field.name, name) { return field.value }
        return nil
    }

    func values(name: String) -> [String] {
        compactMap { ASCIICase.equals($0.name, name) ? $0.value : nil }
    }

    func contains(name: String) -> Bool {
        contains { ASCIICase.equals($0.name, name) }
    }
}
