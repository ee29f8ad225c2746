import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix

struct TestResponse: Sendable {
    var status: Int
    var headers: HTTPHeaders
    var body: [UInt8]

    var text: String { String(decoding: body, as: UTF8.self) }
    func header(_ name: String) -> String? { headers.first(name: name) }
}

/// A real HTTP/1.1 client on NIO's client codec, for talking to the gateway like a browser.
struct TestClient {
    let inbound: NIOAsyncChannelInboundStream<HTTPClientResponsePart>.AsyncIterator
    let outbound: NIOAsyncChannelOutboundWriter<HTTPClientRequestPart>

    /// Opens one keep-alive connection, runs `body` with it, then closes it.
    static func withConnection<T: Sendable>(
        port: Int, host: String = "127.0.0.1", sourceHost: String? = nil, _ body: (inout Connection) async throws -> T
    ) async throws -> T {
        var bootstrap = ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
        if let sourceHost { bootstrap = bootstrap.bind(to: try SocketAddress(ipAddress: sourceHost, port: 0)) }
        let channel =
            try await bootstrap
            .connect(host: host, port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    return try NIOAsyncChannel<HTTPClientResponsePart, HTTPClientRequestPart>(wrappingChannelSynchronously: channel)
                }
            }
        return try await channel.executeThenClose { inbound, outbound in
            var connection = Connection(iterator: inbound.makeAsyncIterator(), outbound: outbound)
            return try await body(&connection)
        }
    }

    /// One request on its own connection.
    static func send(
        port: Int, method: HTTPMethod = .GET, path: String, headers: [(String, String)] = [], body: [UInt8]? = nil
    ) async throws -> TestResponse {
        try await withConnection(port: port) { connection in
            try await connection.send(method: method, path: path, headers: headers, body: body)
        }
    }

    struct Connection {
        var iterator: NIOAsyncChannelInboundStream<HTTPClientResponsePart>.AsyncIterator
        let outbound: NIOAsyncChannelOutboundWriter<HTTPClientRequestPart>

        mutating func send(
            method: HTTPMethod = .GET, path: String, headers: [(String, String)] = [], body: [UInt8]? = nil
        ) async throws -> TestResponse {
            var requestHeaders = HTTPHeaders(headers)
            if !requestHeaders.contains(name: "Host") { requestHeaders.add(name: "Host", value: "shop.test") }
            if let body { requestHeaders.replaceOrAdd(name: "Content-Length", value: String(body.count)) }
            try await outbound.write(.head(HTTPRequestHead(version: .http1_1, method: method, uri: path, headers: requestHeaders)))
            if let body { try await outbound.write(.body(.byteBuffer(ByteBuffer(bytes: body)))) }
            try await outbound.write(.end(nil))

            var response: TestResponse?
            while let part = try await iterator.next() {
                switch part {
                case .head(let head):
                    response = TestResponse(status: Int(head.status.code), headers: head.headers, body: [])
                case .body(let buffer):
                    response?.body.append(contentsOf: buffer.readableBytesView)
                case .end:
                    guard let response else { throw TestClientError.noResponse }
                    return response
                }
            }
            throw TestClientError.noResponse
        }
    }
}

enum TestClientError: Error {
    case noResponse
}

/// Raw bytes over TCP, for the malformed requests an HTTP client library refuses to send.
enum RawClient {
    /// Sends `request`, then reads until the server closes the connection (or `maxBytes`).
    static func exchange(port: Int, _ request: String, halfClose: Bool = false) async throws -> String {
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelOption(.allowRemoteHalfClosure, value: true)
            .connect(host: "127.0.0.1", port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                }
            }
        return try await channel.executeThenClose { inbound, outbound in
            try await outbound.write(ByteBuffer(string: request))
            if halfClose { outbound.finish() }
            var received = ""
            do {
                for try await chunk in inbound {
                    received += String(buffer: chunk)
                }
            } catch {
                // A reset after the answer is as good as a close here.
            }
            return received
        }
    }

    /// The status codes of every response in a raw answer, in order (status lines may follow a
    /// body directly, so they are found anywhere, not only at line starts).
    static func statuses(_ raw: String) -> [Int] {
        var codes: [Int] = []
        var rest = raw[...]
        while let range = rest.range(of: "HTTP/1.") {
            let after = rest[range.upperBound...].dropFirst(2)
            if let code = Int(after.prefix(3)), after.dropFirst(3).hasPrefix(" ") { codes.append(code) }
            rest = rest[range.upperBound...]
        }
        return codes
    }
}
