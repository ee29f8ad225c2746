import CCurl
import Foundation
import GatewayCore

/// Blocking one-shot HTTP requests with libcurl's easy interface, for the command-line tools
/// (`status`, `smoke`); never used on the gateway's request path.
public enum SimpleHTTPClient {
    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    public struct Response: Sendable {
        public var status: Int
        /// Header names lower-cased; the last value of a repeated header wins.
        public var headers: [String: String]
        public var body: Data
    }

    public static func get(_ url: String, timeout: Duration = .seconds(5)) throws -> (status: Int, body: Data) {
        let response = try request(method: "GET", url: url, timeout: timeout)
        return (response.status, response.body)
    }

    public static func request(
        method: String, url: String, headers: [(String, String)] = [], body: Data? = nil, timeout: Duration = .seconds(5)
    ) throws -> Response {
        CurlGlobal.ensureInitialised()
        guard let easy = curl_easy_init() else { throw Failure(description: "curl_easy_init failed") }
        defer { curl_easy_cleanup(easy) }
        let sink = ResponseSink()
        let unmanaged = Unmanaged.passRetained(sink)
        defer { unmanaged.release() }
        var headerList: UnsafeMutablePointer<curl_slist>?
        defer { curl_slist_free_all(headerList) }
        for (name, value) in headers { headerList = curl_slist_append(headerList, "\(name): \(value)") }
        headerList = curl_slist_append(headerList, "Expect:")

        _ = cg_easy_setopt_string(easy, CURLOPT_URL, url)
        _ = cg_easy_setopt_long(easy, CURLOPT_NOSIGNAL, 1)
        _ = cg_easy_setopt_long(easy, CURLOPT_TIMEOUT_MS, Int(timeout.milliseconds))
        _ = cg_easy_setopt_slist(easy, CURLOPT_HTTPHEADER, headerList)
        _ = cg_easy_setopt_string(easy, CURLOPT_CUSTOMREQUEST, method)
        if let body {
            _ = cg_easy_setopt_off_t(easy, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(body.count))
            _ = cg_easy_setopt_string(easy, CURLOPT_COPYPOSTFIELDS, String(decoding: body, as: UTF8.self))
        }
        _ = cg_easy_setopt_data_callback(easy, CURLOPT_WRITEFUNCTION) { data, size, count, user in
            guard let data, let user else { return 0 }
            Unmanaged<ResponseSink>.fromOpaque(user).takeUnretainedValue().body.append(
                UnsafeRawPointer(data).assumingMemoryBound(to: UInt8.self), count: size * count)
            return size * count
        }
        _ = cg_easy_setopt_pointer(easy, CURLOPT_WRITEDATA, unmanaged.toOpaque())
        _ = cg_easy_setopt_data_callback(easy, CURLOPT_HEADERFUNCTION) { data, size, count, user in
            guard let data, let user else { return 0 }
            let line = String(decoding: UnsafeRawBufferPointer(start: data, count: size * count), as: UTF8.self)
            let sink = Unmanaged<ResponseSink>.fromOpaque(user).takeUnretainedValue()
            if line.hasPrefix("HTTP/") { sink.headers.removeAll() }
            if let colon = line.firstIndex(of: ":") {
                sink.headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespacesAndNewlines)
            }
            return size * count
        }
        _ = cg_easy_setopt_pointer(easy, CURLOPT_HEADERDATA, unmanaged.toOpaque())
        let code = curl_easy_perform(easy)
        guard code == CURLE_OK else { throw Failure(description: "\(method) \(url): \(String(cString: curl_easy_strerror(code)))") }
        var status = 0
        _ = cg_easy_getinfo_long(easy, CURLINFO_RESPONSE_CODE, &status)
        return Response(status: status, headers: sink.headers, body: sink.body)
    }

    private final class ResponseSink {
        var body = Data()
        var headers: [String: String] = [:]
    }
}
