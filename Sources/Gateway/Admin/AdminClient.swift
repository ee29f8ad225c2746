import GatewayCore
import CCurl
import Foundation

/// A blocking one-shot HTTP GET with libcurl's easy interface, for command-line tools such as
/// `checkout-gateway status` (never used on the gateway's request path).
public enum AdminClient {
    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    public static func get(_ url: String, timeout: Duration = .seconds(5)) throws -> (status: Int, body: Data) {
        CurlGlobal.ensureInitialised()
        guard let easy = curl_easy_init() else { throw Failure(description: "curl_easy_init failed") }
        defer { curl_easy_cleanup(easy) }
        let sink = BodySink()
        let unmanaged = Unmanaged.passRetained(sink)
        defer { unmanaged.release() }
        _ = cg_easy_setopt_string(easy, CURLOPT_URL, url)
        _ = cg_easy_setopt_long(easy, CURLOPT_NOSIGNAL, 1)
        _ = cg_easy_setopt_long(easy, CURLOPT_TIMEOUT_MS, Int(timeout.milliseconds))
        _ = cg_easy_setopt_data_callback(easy, CURLOPT_WRITEFUNCTION) { data, size, count, user in
            guard let data, let user else { return 0 }
            Unmanaged<BodySink>.fromOpaque(user).takeUnretainedValue().data.append(UnsafeRawPointer(data).assumingMemoryBound(to: UInt8.self), count: size * count)
            return size * count
        }
        _ = cg_easy_setopt_pointer(easy, CURLOPT_WRITEDATA, unmanaged.toOpaque())
        let code = curl_easy_perform(easy)
        guard code == CURLE_OK else { throw Failure(description: "\(url): \(String(cString: curl_easy_strerror(code)))") }
        var status = 0
        _ = cg_easy_getinfo_long(easy, CURLINFO_RESPONSE_CODE, &status)
        return (status, sink.data)
    }

    private final class BodySink {
        var data = Data()
    }
}
