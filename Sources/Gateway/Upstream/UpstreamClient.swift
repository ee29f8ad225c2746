import GatewayCore

/// Owns one upstream's `CurlMultiClient` for as long as any config in use refers to it.
///
/// A reload that keeps an upstream's settings shares the same owner (and so the kept-alive
/// connections); one that changes them makes a new one. The old owner is released when the last
/// request that started under the old config has finished (each request holds its config), and
/// only then is its client stopped: at once, not after a grace period, so a storm of reloads
/// never piles up threads and sockets, and never cuts a request short.
final class UpstreamClient: Sendable {
    let curl: CurlMultiClient

    init(upstream: UpstreamConfig, name: String) {
        curl = CurlMultiClient(upstream: upstream, name: name)
    }

    var upstream: UpstreamConfig { curl.upstream }

    deinit {
        curl.shutdown()
    }
}
