import GatewayCore

/// Header fields of an answer in order, as libcurl delivered an upstream's and as the gateway
/// writes them to the client: a plain array, so the path builds no dictionary and no NIO type.
typealias HeaderFields = [(name: String, value: String)]

extension Array where Element == (name: String, value: String) {
    func values(name: String) -> [String] {
        compactMap { ASCIICase.equals($0.name, name) ? $0.value : nil }
    }
}
