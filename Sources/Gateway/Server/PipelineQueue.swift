import GatewayCore
import NIOCore
import NIOHTTP1

/// Request input that arrived while a response was still owed (HTTP/1.1 pipelining), kept in
/// order with a running byte count so reading can pause when too much is buffered.
struct PipelineQueue {
    enum Item {
        case part(HTTPServerRequestPart)
        case error(HTTPRequestError)
    }

    /// What a head or a parser error counts for; bodies count their bytes.
    private static let overhead = 256

    private var items = CircularBuffer<Item>()
    private(set) var bytes = 0

    var isEmpty: Bool { items.isEmpty }

    mutating func append(_ item: Item) {
        bytes += Self.size(of: item)
        items.append(item)
    }

    mutating func popFirst() -> Item? {
        guard let item = items.popFirst() else { return nil }
        bytes -= Self.size(of: item)
        return item
    }

    private static func size(of item: Item) -> Int {
        if case .part(.body(let chunk)) = item { return chunk.readableBytes }
        return overhead
    }
}
