import CCurl
import Foundation
import GatewayCore
import NIOConcurrencyHelpers
import NIOCore

/// The HTTP client for one upstream: a libcurl multi handle driven by one dedicated thread, so
/// no event loop ever waits on the network. The multi handle's connection cache keeps up to
/// `max_connections` connections to the upstream alive and reuses them.
///
/// `@unchecked Sendable` is safe because the mutable state is split in two: `inbox`, `stopping`
/// and `wakeupPending` are only touched under `lock`; the multi handle, the socket driver,
/// `active` and `idleHandles` are only touched by the curl thread (`run()` and what it calls),
/// except `driver.wake()`, which is called under `lock` and only before `stopping` is set.
final class CurlMultiClient: @unchecked Sendable {
    let upstream: UpstreamConfig
    private let multi: UnsafeMutableRawPointer
    private let lock = NIOLock()
    private var inbox: [CurlTransfer] = []
    private var stopping = false
    /// A wake-up is on its way to the curl thread; more submissions need not send another.
    private var wakeupPending = false
    private var active: [UnsafeMutableRawPointer: CurlTransfer] = [:]
    private var idleHandles: [UnsafeMutableRawPointer] = []
    private let driver: CurlSocketDriver

    init(upstream: UpstreamConfig, name: String) {
        CurlGlobal.ensureInitialised()
        self.upstream = upstream
        guard let multi = curl_multi_init() else { fatalError("curl_multi_init failed") }
        self.multi = multi
        driver = CurlSocketDriver(multi: multi)
        _ = cg_multi_setopt_long(multi, CURLMOPT_MAX_TOTAL_CONNECTIONS, upstream.maxConnections)
        _ = cg_multi_setopt_long(multi, CURLMOPT_MAX_HOST_CONNECTIONS, upstream.maxConnections)
        _ = cg_multi_setopt_long(multi, CURLMOPT_MAXCONNECTS, upstream.maxConnections)
        let thread = Thread { [self] in run() }
        thread.name = "curl-\(name)"
        thread.start()
    }

    /// Sends the request; `completion` runs on `eventLoop` when the whole response is in.
    func execute(_ request: UpstreamRequest, on eventLoop: any EventLoop, completion: @escaping @Sendable (UpstreamReply) -> Void) {
        let transfer = CurlTransfer(request: request, eventLoop: eventLoop, completion: completion)
        // Waking the curl thread under the lock: the thread closes the driver only after it has
        // seen `stopping`, which is set under the same lock.
        let accepted = lock.withLock {
            if stopping { return false }
            inbox.append(transfer)
            if !wakeupPending {
                wakeupPending = true
                driver.wake()
            }
            return true
        }
        if !accepted {
            transfer.complete(.failure(.connectError, detail: "the gateway is shutting down"))
        }
    }

    /// Fails what is still in flight and lets the thread stop and free every handle. Returns
    /// at once: nothing waits for the curl thread, which ends by itself.
    func shutdown() {
        lock.withLock {
            guard !stopping else { return }
            stopping = true
            driver.wake()
        }
    }

    // MARK: - The curl thread

    private func run() {
        while true {
            let (incoming, stop) = lock.withLock { () -> ([CurlTransfer], Bool) in
                defer { inbox.removeAll(keepingCapacity: true) }
                wakeupPending = false
                return (inbox, stopping)
            }
            if stop {
                for transfer in incoming { transfer.complete(.failure(.connectError, detail: "the gateway is shutting down")) }
                abortActive()
                break
            }
            for transfer in incoming { start(transfer) }
            driver.waitAndAct(multi: multi, maxWait: .seconds(1))
            collectFinished()
        }
        for easy in idleHandles { curl_easy_cleanup(easy) }
        idleHandles.removeAll()
        curl_multi_cleanup(multi)
        driver.close()
    }

    private func start(_ transfer: CurlTransfer) {
        let easy: UnsafeMutableRawPointer
        if let reused = idleHandles.popLast() {
            easy = reused
        } else if let fresh = curl_easy_init(), CurlTransfer.prepare(fresh, upstream: upstream), driver.adopt(fresh) {
            easy = fresh
        } else {
            transfer.complete(.failure(.connectError, detail: "curl_easy_init failed"))
            return
        }
        guard transfer.configure(easy), curl_multi_add_handle(multi, easy) == CURLM_OK else {
            idleHandles.append(easy)
            transfer.complete(.failure(.badResponse, detail: "libcurl refused the request for \(transfer.request.url)"))
            return
        }
        active[easy] = transfer
    }

    /// Completes every finished transfer; the results for one event loop go over in one task,
    /// so a busy loop is woken once per batch rather than once per response.
    private func collectFinished() {
        var remaining: Int32 = 0
        var batches: [ObjectIdentifier: (loop: any EventLoop, results: [(@Sendable (UpstreamReply) -> Void, UpstreamReply)])] = [:]
        while let message = curl_multi_info_read(multi, &remaining) {
            guard message.pointee.msg == CURLMSG_DONE, let easy = message.pointee.easy_handle else { continue }
            let code = message.pointee.data.result
            curl_multi_remove_handle(multi, easy)
            guard let transfer = active.removeValue(forKey: easy) else { continue }
            let reply = UpstreamReply(result: Self.result(of: transfer, code: code, easy: easy), resends: max(0, transfer.sends - 1))
            idleHandles.append(easy)
            let loop = transfer.eventLoop
            batches[ObjectIdentifier(loop), default: (loop, [])].results.append((transfer.completion, reply))
        }
        for (_, batch) in batches {
            let results = batch.results
            batch.loop.execute {
                for (completion, result) in results { completion(result) }
            }
        }
    }

    private func abortActive() {
        for (easy, transfer) in active {
            curl_multi_remove_handle(multi, easy)
            idleHandles.append(easy)
            transfer.complete(.failure(.connectError, detail: "the gateway is shutting down"))
        }
        active.removeAll()
    }

    private static func result(of transfer: CurlTransfer, code: CURLcode, easy: UnsafeMutableRawPointer) -> UpstreamResult {
        var requestSize = 0
        _ = cg_easy_getinfo_long(easy, CURLINFO_REQUEST_SIZE, &requestSize)
        let detail = String(cString: curl_easy_strerror(code))
        switch code {
        case CURLE_OK:
            var status = 0
            _ = cg_easy_getinfo_long(easy, CURLINFO_RESPONSE_CODE, &status)
            if transfer.head.hasAmbiguousFraming {
                return .failure(.badResponse, detail: "ambiguous response framing (Content-Length with Transfer-Encoding, or two Content-Lengths)")
            }
            if transfer.head.malformed || !(100...599).contains(status) {
                return .failure(.badResponse, detail: "malformed response header")
            }
            return .response(UpstreamResponse(status: status, headers: transfer.head.headers, body: transfer.responseBody))
        case CURLE_COULDNT_CONNECT, CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_RESOLVE_PROXY:
            return .failure(.connectError, detail: detail)
        case CURLE_OPERATION_TIMEDOUT:
            // Nothing sent yet means the connect timed out: as safe to replay as a refusal.
            return .failure(requestSize == 0 ? .connectError : .timeout, detail: detail)
        default:
            if transfer.tooLarge {
                return .failure(.badResponse, detail: "response larger than \(CurlTransfer.maxResponseBytes) bytes")
            }
            return .failure(requestSize == 0 ? .connectError : .badResponse, detail: detail)
        }
    }
}
