import CCurl
import GatewayCore
import NIOCore

/// One request in flight on a libcurl easy handle: owns the memory libcurl points into (URL,
/// header list, body) and collects the response. Lives on its client's curl thread only.
final class CurlTransfer {
    /// Responses larger than this are refused as bad: the gateway buffers whole responses.
    static let maxResponseBytes = 64 << 20

    let request: UpstreamRequest
    let promise: EventLoopPromise<UpstreamResult>
    private var headerList: UnsafeMutablePointer<curl_slist>?
    private var bodyCopy: UnsafeMutableRawBufferPointer?

    private(set) var responseHeaders: [(name: String, value: String)] = []
    private(set) var responseBody: ByteBuffer
    private var contentLengths: Set<String> = []
    private var sawTransferEncoding = false
    private(set) var malformedHeader = false
    private(set) var tooLarge = false

    init(request: UpstreamRequest, promise: EventLoopPromise<UpstreamResult>) {
        self.request = request
        self.promise = promise
        self.responseBody = ByteBufferAllocator().buffer(capacity: 0)
    }

    deinit {
        curl_slist_free_all(headerList)
        bodyCopy?.deallocate()
    }

    /// Sets every option of this request on `easy`; false if libcurl refused one.
    func configure(_ easy: UnsafeMutableRawPointer, upstream: UpstreamConfig) -> Bool {
        var ok = true
        func check(_ code: CURLcode) { if code != CURLE_OK { ok = false } }
        let me = Unmanaged.passUnretained(self).toOpaque()

        check(cg_easy_setopt_string(easy, CURLOPT_URL, request.url))
        check(cg_easy_setopt_long(easy, CURLOPT_NOSIGNAL, 1))
        check(cg_easy_setopt_long(easy, CURLOPT_PATH_AS_IS, 1))
        check(cg_easy_setopt_long(easy, CURLOPT_HTTP_VERSION, CURL_HTTP_VERSION_1_1))
        check(cg_easy_setopt_long(easy, CURLOPT_CONNECTTIMEOUT_MS, Int(upstream.connectTimeout.milliseconds)))
        check(cg_easy_setopt_long(easy, CURLOPT_TIMEOUT_MS, Int(upstream.timeout.milliseconds)))
        check(cg_easy_setopt_long(easy, CURLOPT_TCP_NODELAY, 1))
        check(cg_easy_setopt_long(easy, CURLOPT_TCP_KEEPALIVE, 1))
        check(cg_easy_setopt_data_callback(easy, CURLOPT_WRITEFUNCTION, curlWriteBody))
        check(cg_easy_setopt_pointer(easy, CURLOPT_WRITEDATA, me))
        check(cg_easy_setopt_data_callback(easy, CURLOPT_HEADERFUNCTION, curlWriteHeader))
        check(cg_easy_setopt_pointer(easy, CURLOPT_HEADERDATA, me))

        for line in request.headerLines {
            headerList = curl_slist_append(headerList, line)
        }
        check(cg_easy_setopt_slist(easy, CURLOPT_HTTPHEADER, headerList))

        switch request.method {
        case "HEAD":
            check(cg_easy_setopt_long(easy, CURLOPT_NOBODY, 1))
        case _ where request.body != nil:
            let body = request.body!
            let copy = UnsafeMutableRawBufferPointer.allocate(byteCount: max(body.readableBytes, 1), alignment: 1)
            body.withUnsafeReadableBytes { copy.copyMemory(from: $0) }
            bodyCopy = copy
            check(cg_easy_setopt_long(easy, CURLOPT_POST, 1))
            check(cg_easy_setopt_off_t(easy, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(body.readableBytes)))
            check(cg_easy_setopt_pointer(easy, CURLOPT_POSTFIELDS, copy.baseAddress))
            if request.method != "POST" { check(cg_easy_setopt_string(easy, CURLOPT_CUSTOMREQUEST, request.method)) }
        default:
            check(cg_easy_setopt_long(easy, CURLOPT_HTTPGET, 1))
            if request.method != "GET" { check(cg_easy_setopt_string(easy, CURLOPT_CUSTOMREQUEST, request.method)) }
        }
        return ok
    }

    fileprivate func receiveHeaderLine(_ line: UnsafeRawBufferPointer) {
        var end = line.count
        while end > 0, line[end - 1] == 0x0A || line[end - 1] == 0x0D { end -= 1 }
        let text = String(decoding: UnsafeRawBufferPointer(rebasing: line[0..<end]), as: UTF8.self)
        if text.hasPrefix("HTTP/") {
            // A new status line: an interim 1xx answer came before, or this is the first.
            responseHeaders.removeAll(keepingCapacity: true)
            contentLengths.removeAll()
            sawTransferEncoding = false
            return
        }
        if text.isEmpty { return }
        guard let colon = text.firstIndex(of: ":"), colon != text.startIndex,
              text.first != " ", text.first != "\t", !text[..<colon].contains(where: { $0 == " " || $0 == "\t" })
        else {
            malformedHeader = true
            return
        }
        let name = String(text[..<colon])
        let value = String(text[text.index(after: colon)...].trimmingSpaces)
        if name.lowercased() == "content-length" { contentLengths.insert(value) }
        if name.lowercased() == "transfer-encoding" { sawTransferEncoding = true }
        responseHeaders.append((name, value))
    }

    fileprivate func receiveBody(_ bytes: UnsafeRawBufferPointer) -> Bool {
        guard responseBody.readableBytes + bytes.count <= Self.maxResponseBytes else {
            tooLarge = true
            return false
        }
        responseBody.writeBytes(bytes)
        return true
    }

    /// Framing a proxy must not pass on: two different Content-Lengths, or Content-Length with
    /// Transfer-Encoding (RFC 9112 §6.3: request smuggling material).
    var hasAmbiguousFraming: Bool {
        contentLengths.count > 1 || (!contentLengths.isEmpty && sawTransferEncoding)
    }
}

private func curlWriteBody(_ data: UnsafeMutablePointer<CChar>?, _ size: Int, _ count: Int, _ user: UnsafeMutableRawPointer?) -> Int {
    guard let user, let data else { return 0 }
    let transfer = Unmanaged<CurlTransfer>.fromOpaque(user).takeUnretainedValue()
    let length = size * count
    return transfer.receiveBody(UnsafeRawBufferPointer(start: data, count: length)) ? length : 0
}

private func curlWriteHeader(_ data: UnsafeMutablePointer<CChar>?, _ size: Int, _ count: Int, _ user: UnsafeMutableRawPointer?) -> Int {
    guard let user, let data else { return 0 }
    let transfer = Unmanaged<CurlTransfer>.fromOpaque(user).takeUnretainedValue()
    let length = size * count
    transfer.receiveHeaderLine(UnsafeRawBufferPointer(start: data, count: length))
    return length
}
