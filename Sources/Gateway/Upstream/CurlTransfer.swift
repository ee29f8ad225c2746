import CCurl
import GatewayCore

/// One request in flight on a libcurl easy handle: owns the memory libcurl points into (header
/// list, body) and collects the response. Lives on its worker's thread only.
final class CurlTransfer {
    /// Responses larger than this are refused as bad: the gateway buffers whole responses.
    static let maxResponseBytes = 64 << 20

    let request: UpstreamRequest
    let completion: (UpstreamReply) -> Void
    private var headerList: UpstreamHeaderLines.HeaderList?
    private var bodyCopy: UnsafeMutableRawBufferPointer?

    /// The response head as it arrives, line by line.
    private(set) var head = ResponseHead()
    private(set) var responseBody: [UInt8] = []
    private(set) var tooLarge = false
    /// How often libcurl was about to send the request: more than once means it re-sent it
    /// after a reused connection died.
    fileprivate(set) var sends = 0

    init(request: UpstreamRequest, completion: @escaping (UpstreamReply) -> Void) {
        self.request = request
        self.completion = completion
    }

    deinit {
        headerList?.free()
        bodyCopy?.deallocate()
    }

    /// The options that are the same for every request to `upstream`, set once per easy handle
    /// (handles are reused without `curl_easy_reset`).
    static func prepare(_ easy: UnsafeMutableRawPointer, upstream: UpstreamConfig) -> Bool {
        var ok = true
        func check(_ code: CURLcode) { if code != CURLE_OK { ok = false } }
        check(cg_easy_setopt_long(easy, CURLOPT_NOSIGNAL, 1))
        // No proxy: upstreams are reached directly, and libcurl does not read the proxy
        // environment variables for every request.
        check(cg_easy_setopt_string(easy, CURLOPT_PROXY, ""))
        check(cg_easy_setopt_long(easy, CURLOPT_PATH_AS_IS, 1))
        check(cg_easy_setopt_long(easy, CURLOPT_HTTP_VERSION, CURL_HTTP_VERSION_1_1))
        check(cg_easy_setopt_long(easy, CURLOPT_CONNECTTIMEOUT_MS, Int(upstream.connectTimeout.milliseconds)))
        check(cg_easy_setopt_long(easy, CURLOPT_TIMEOUT_MS, Int(upstream.timeout.milliseconds)))
        check(cg_easy_setopt_long(easy, CURLOPT_TCP_NODELAY, 1))
        check(cg_easy_setopt_long(easy, CURLOPT_TCP_KEEPALIVE, 1))
        check(cg_easy_setopt_data_callback(easy, CURLOPT_WRITEFUNCTION, curlWriteBody))
        check(cg_easy_setopt_data_callback(easy, CURLOPT_HEADERFUNCTION, curlWriteHeader))
        check(cg_easy_setopt_prereq_function(easy, curlBeforeSend))
        return ok
    }

    /// Sets this request's options on a prepared handle, overriding every per-request option a
    /// previous request may have left; false if libcurl refused one.
    func configure(_ easy: UnsafeMutableRawPointer) -> Bool {
        var ok = true
        func check(_ code: CURLcode) { if code != CURLE_OK { ok = false } }
        let me = Unmanaged.passUnretained(self).toOpaque()

        check(request.url.withCString { cg_easy_setopt_string(easy, CURLOPT_URL, $0) })
        check(cg_easy_setopt_pointer(easy, CURLOPT_WRITEDATA, me))
        check(cg_easy_setopt_pointer(easy, CURLOPT_HEADERDATA, me))
        check(cg_easy_setopt_pointer(easy, CURLOPT_PREREQDATA, me))
        check(cg_easy_setopt_long(easy, CURLOPT_FRESH_CONNECT, request.mayResend ? 0 : 1))
        headerList = request.headerLines.makeList()
        check(cg_easy_setopt_slist(easy, CURLOPT_HTTPHEADER, headerList?.nodes))

        let method = request.method
        if let body = request.body, method != "HEAD" {
            let copy = UnsafeMutableRawBufferPointer.allocate(byteCount: max(body.count, 1), alignment: 1)
            body.withUnsafeBytes { copy.copyMemory(from: $0) }
            bodyCopy = copy
            check(cg_easy_setopt_long(easy, CURLOPT_POST, 1))
            check(cg_easy_setopt_off_t(easy, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(body.count)))
            check(cg_easy_setopt_pointer(easy, CURLOPT_POSTFIELDS, copy.baseAddress))
        } else {
            // Clearing POSTFIELDS selects POST again, so it comes first; HTTPGET then clears
            // POST and NOBODY left by an earlier request on this handle.
            check(cg_easy_setopt_pointer(easy, CURLOPT_POSTFIELDS, nil))
            check(cg_easy_setopt_long(easy, CURLOPT_HTTPGET, 1))
            if method == "HEAD" { check(cg_easy_setopt_long(easy, CURLOPT_NOBODY, 1)) }
        }
        // libcurl's own method is GET, HEAD (NOBODY) or POST (a body); anything else, a GET
        // with a body included, is named so that the method is never changed.
        let libcurlsOwn = request.body == nil ? (method == "GET" || method == "HEAD") : method == "POST"
        if libcurlsOwn {
            check(cg_easy_setopt_string(easy, CURLOPT_CUSTOMREQUEST, nil))
        } else {
            check(method.withCString { cg_easy_setopt_string(easy, CURLOPT_CUSTOMREQUEST, $0) })
        }
        return ok
    }

    /// How the attempt ended, from libcurl's result code and what was received.
    func result(code: CURLcode, easy: UnsafeMutableRawPointer) -> UpstreamResult {
        var requestSize = 0
        _ = cg_easy_getinfo_long(easy, CURLINFO_REQUEST_SIZE, &requestSize)
        let detail = String(cString: curl_easy_strerror(code))
        switch code {
        case CURLE_OK:
            var status = 0
            _ = cg_easy_getinfo_long(easy, CURLINFO_RESPONSE_CODE, &status)
            if head.hasAmbiguousFraming {
                return .failure(.badResponse, detail: "ambiguous response framing (Content-Length with Transfer-Encoding, or two Content-Lengths)")
            }
            if head.malformed || !(100...599).contains(status) {
                return .failure(.badResponse, detail: "malformed response header")
            }
            return .response(UpstreamResponse(status: status, headers: head.headers, body: responseBody))
        case CURLE_COULDNT_CONNECT, CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_RESOLVE_PROXY:
            return .failure(.connectError, detail: detail)
        case CURLE_OPERATION_TIMEDOUT:
            // Nothing sent yet means the connect timed out: as safe to replay as a refusal.
            return .failure(requestSize == 0 ? .connectError : .timeout, detail: detail)
        default:
            if tooLarge {
                return .failure(.badResponse, detail: "response larger than \(Self.maxResponseBytes) bytes")
            }
            return .failure(requestSize == 0 ? .connectError : .badResponse, detail: detail)
        }
    }

    fileprivate func receiveHeaderLine(_ raw: UnsafeRawBufferPointer) {
        head.receive(line: raw)
    }

    fileprivate func receiveBody(_ bytes: UnsafeRawBufferPointer) -> Bool {
        guard responseBody.count + bytes.count <= Self.maxResponseBytes else {
            tooLarge = true
            return false
        }
        responseBody.append(contentsOf: bytes)
        return true
    }

}

private func curlWriteBody(_ data: UnsafeMutablePointer<CChar>?, _ size: Int, _ count: Int, _ user: UnsafeMutableRawPointer?) -> Int {
    guard let user, let data else { return 0 }
    let transfer = Unmanaged<CurlTransfer>.fromOpaque(user).takeUnretainedValue()
    let length = size * count
    return transfer.receiveBody(UnsafeRawBufferPointer(start: data, count: length)) ? length : 0
}

/// Called by libcurl each time it is about to send the request on a connection.
private func curlBeforeSend(
    _ user: UnsafeMutableRawPointer?, _ ip: UnsafeMutablePointer<CChar>?, _ localIP: UnsafeMutablePointer<CChar>?, _ port: Int32,
    _ localPort: Int32
) -> Int32 {
    guard let user else { return CURL_PREREQFUNC_OK }
    Unmanaged<CurlTransfer>.fromOpaque(user).takeUnretainedValue().sends += 1
    return CURL_PREREQFUNC_OK
}

private func curlWriteHeader(_ data: UnsafeMutablePointer<CChar>?, _ size: Int, _ count: Int, _ user: UnsafeMutableRawPointer?) -> Int {
    guard let user, let data else { return 0 }
    let transfer = Unmanaged<CurlTransfer>.fromOpaque(user).takeUnretainedValue()
    let length = size * count
    transfer.receiveHeaderLine(UnsafeRawBufferPointer(start: data, count: length))
    return length
}
