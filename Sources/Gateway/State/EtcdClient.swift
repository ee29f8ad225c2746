import CCurl
import Foundation
import GatewayCore
import NIOConcurrencyHelpers

/// Talks to an etcd cluster over its v3 JSON API with libcurl. Calls block: they run on the
/// state threads of `EtcdStateStore`, never on a request path or the cooperative pool.
///
/// Endpoints are tried in order starting from the last one that answered, so a dead member
/// costs one timeout and then no more. With `username`, a token from `/v3/auth/authenticate`
/// is sent and renewed when etcd refuses it.
final class EtcdClient: Sendable {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    private let endpoints: [String]
    private let timeout: Duration
    private let tls: EtcdTLS?
    private let credentials: (user: String, password: String)?
    private let preferred = NIOLockedValueBox(0)
    private let token = NIOLockedValueBox<String?>(nil)

    init(config: EtcdConfig, environment: [String: String]) {
        CurlGlobal.ensureInitialised()
        endpoints = config.endpoints.map(\.prefix)
        timeout = config.timeout
        tls = config.tls
        if let user = config.username, let variable = config.passwordEnv {
            credentials = (user, environment[variable] ?? "")
        } else {
            credentials = nil
        }
    }

    /// One unary call, e.g. `call("/v3/kv/range", RangeRequest(...))`.
    func call<Response: Decodable>(_ path: String, _ request: some Encodable, as: Response.Type = Response.self) throws -> Response {
        let body = try JSONEncoder().encode(request)
        var lastError = "no endpoint configured"
        let first = preferred.withLockedValue { $0 }
        for offset in 0..<endpoints.count {
            let index = (first + offset) % endpoints.count
            do {
                let (status, data) = try perform(endpoints[index] + path, body: body)
                if status == 401 || (status >= 400 && String(decoding: data, as: UTF8.self).contains("invalid auth token")), credentials != nil {
                    token.withLockedValue { $0 = nil }
                    let (retry, retryData) = try perform(endpoints[index] + path, body: body)
                    guard retry == 200 else { throw Failure(description: "etcd answered \(retry): \(String(decoding: retryData, as: UTF8.self))") }
                    preferred.withLockedValue { $0 = index }
                    return try JSONDecoder().decode(Response.self, from: retryData)
                }
                guard status == 200 else {
                    throw Failure(description: "etcd answered \(status): \(String(decoding: data.prefix(300), as: UTF8.self))")
                }
                preferred.withLockedValue { $0 = index }
                return try JSONDecoder().decode(Response.self, from: data)
            } catch {
                lastError = "\(endpoints[index]): \(error)"
            }
        }
        throw Failure(description: lastError)
    }

    /// Opens a watch stream on `[key, rangeEnd)` from `revision` and hands each response to
    /// `onResponse` until the stream ends, fails, or `shouldStop` says so (checked at least
    /// every `timeout`). Throws when no endpoint could be reached.
    func watch(
        key: String, rangeEnd: String, from revision: Int64, shouldStop: @escaping () -> Bool,
        onResponse: @escaping (Etcd.WatchResponse) -> Void
    ) throws {
        let request = Etcd.WatchRequest(createRequest: .init(key: key, rangeEnd: rangeEnd, startRevision: String(revision)))
        let body = try JSONEncoder().encode(request)
        let index = preferred.withLockedValue { $0 }
        let stream = WatchStream(onResponse: onResponse, shouldStop: shouldStop)
        defer { preferred.withLockedValue { $0 = (index + (stream.receivedAny ? 0 : 1)) % endpoints.count } }
        let (status, _) = try perform(endpoints[index] + "/v3/watch", body: body, stream: stream)
        if status != 200 && !stream.receivedAny { throw Failure(description: "\(endpoints[index]) answered \(status) to a watch") }
    }

    // MARK: - libcurl

    /// A blocking POST; with `stream`, the body is handed over line by line and the transfer has
    /// no overall time limit (it lives as long as the watch).
    private func perform(_ url: String, body: Data, stream: WatchStream? = nil) throws -> (Int, Data) {
        guard let easy = curl_easy_init() else { throw Failure(description: "curl_easy_init failed") }
        defer { curl_easy_cleanup(easy) }
        let sink = stream ?? WatchStream(onResponse: nil, shouldStop: nil)
        let unmanaged = Unmanaged.passRetained(sink)
        defer { unmanaged.release() }
        var headers: UnsafeMutablePointer<curl_slist>?
        defer { curl_slist_free_all(headers) }
        headers = curl_slist_append(headers, "Content-Type: application/json")
        headers = curl_slist_append(headers, "Expect:")
        if let token = try currentToken(url: url) { headers = curl_slist_append(headers, "Authorization: \(token)") }

        _ = cg_easy_setopt_string(easy, CURLOPT_URL, url)
        _ = cg_easy_setopt_long(easy, CURLOPT_NOSIGNAL, 1)
        _ = cg_easy_setopt_long(easy, CURLOPT_CONNECTTIMEOUT_MS, Int(timeout.milliseconds))
        if stream == nil {
            _ = cg_easy_setopt_long(easy, CURLOPT_TIMEOUT_MS, Int(timeout.milliseconds))
        } else {
            _ = cg_easy_setopt_long(easy, CURLOPT_NOPROGRESS, 0)
            _ = cg_easy_setopt_xferinfo_function(easy, etcdStreamProgress)
            _ = cg_easy_setopt_pointer(easy, CURLOPT_XFERINFODATA, unmanaged.toOpaque())
            _ = cg_easy_setopt_long(easy, CURLOPT_TCP_KEEPALIVE, 1)
            _ = cg_easy_setopt_long(easy, CURLOPT_TCP_KEEPIDLE, 2)
            _ = cg_easy_setopt_long(easy, CURLOPT_TCP_KEEPINTVL, 1)
        }
        _ = cg_easy_setopt_slist(easy, CURLOPT_HTTPHEADER, headers)
        _ = cg_easy_setopt_long(easy, CURLOPT_POST, 1)
        _ = cg_easy_setopt_off_t(easy, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(body.count))
        _ = cg_easy_setopt_string(easy, CURLOPT_COPYPOSTFIELDS, String(decoding: body, as: UTF8.self))
        if let tls {
            if let ca = tls.caFile { _ = cg_easy_setopt_string(easy, CURLOPT_CAINFO, ca) }
            if let cert = tls.certFile { _ = cg_easy_setopt_string(easy, CURLOPT_SSLCERT, cert) }
            if let key = tls.keyFile { _ = cg_easy_setopt_string(easy, CURLOPT_SSLKEY, key) }
        }
        _ = cg_easy_setopt_data_callback(easy, CURLOPT_WRITEFUNCTION, etcdReceive)
        _ = cg_easy_setopt_pointer(easy, CURLOPT_WRITEDATA, unmanaged.toOpaque())
        let code = curl_easy_perform(easy)
        var status = 0
        _ = cg_easy_getinfo_long(easy, CURLINFO_RESPONSE_CODE, &status)
        if stream != nil && (code == CURLE_ABORTED_BY_CALLBACK || sink.receivedAny) { return (status, Data()) }
        guard code == CURLE_OK else { throw Failure(description: String(cString: curl_easy_strerror(code))) }
        return (status, sink.data)
    }

    private func currentToken(url: String) throws -> String? {
        guard let credentials else { return nil }
        if let token = token.withLockedValue({ $0 }) { return token }
        struct Authenticate: Encodable { var name: String; var password: String }
        struct Answer: Decodable { var token: String? }
        let base = url.components(separatedBy: "/v3/").first ?? url
        let response = try SimpleHTTPClient.request(
            method: "POST", url: base + "/v3/auth/authenticate", headers: [("Content-Type", "application/json")],
            body: try JSONEncoder().encode(Authenticate(name: credentials.user, password: credentials.password)), timeout: timeout
        )
        guard response.status == 200, let fresh = try JSONDecoder().decode(Answer.self, from: response.body).token else {
            throw Failure(description: "etcd refused the credentials of \(credentials.user) (\(response.status))")
        }
        token.withLockedValue { $0 = fresh }
        return fresh
    }
}

/// Collects a unary response, or splits a watch stream into JSON lines.
private final class WatchStream {
    let onResponse: ((Etcd.WatchResponse) -> Void)?
    let shouldStop: (() -> Bool)?
    var data = Data()
    var receivedAny = false

    init(onResponse: ((Etcd.WatchResponse) -> Void)?, shouldStop: (() -> Bool)?) {
        self.onResponse = onResponse
        self.shouldStop = shouldStop
    }

    func receive(_ bytes: UnsafeRawBufferPointer) {
        data.append(contentsOf: bytes)
        guard let onResponse else { return }
        while let newline = data.firstIndex(of: 0x0A) {
            let line = data[data.startIndex..<newline]
            data.removeSubrange(data.startIndex...newline)
            guard !line.isEmpty, let response = try? JSONDecoder().decode(Etcd.WatchResponse.self, from: Data(line)) else { continue }
            receivedAny = true
            onResponse(response)
        }
    }
}

private func etcdReceive(_ data: UnsafeMutablePointer<CChar>?, _ size: Int, _ count: Int, _ user: UnsafeMutableRawPointer?) -> Int {
    guard let data, let user else { return 0 }
    Unmanaged<WatchStream>.fromOpaque(user).takeUnretainedValue().receive(UnsafeRawBufferPointer(start: data, count: size * count))
    return size * count
}

/// Ends a watch stream when the store stops.
private func etcdStreamProgress(
    _ user: UnsafeMutableRawPointer?, _ total: curl_off_t, _ now: curl_off_t, _ up: curl_off_t, _ sent: curl_off_t
) -> Int32 {
    guard let user else { return 0 }
    return Unmanaged<WatchStream>.fromOpaque(user).takeUnretainedValue().shouldStop?() == true ? 1 : 0
}
