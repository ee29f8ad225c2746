import CCurl
import CLinuxEvents
import GatewayCore
import Glibc

/// One upstream's libcurl multi handle on one worker, driven through libcurl's socket
/// interface on the worker's own epoll set: libcurl says which sockets to watch and when its
/// timer is due, the worker tells it exactly which socket is ready, and finished transfers
/// complete on the same thread, inline. No other thread ever touches it.
///
/// A kept-alive connection is un-watched after every response and watched again on reuse; its
/// epoll registration is kept across that gap (an event on an un-watched socket removes it), so
/// reuse costs no `epoll_ctl`. That is safe because libcurl closes sockets through
/// `close(socket:)` here, which forgets them before the number can be reused.
final class CurlMulti {
    let upstream: UpstreamConfig
    /// The worker's slot for this client: the epoll tokens of its sockets carry it.
    let slot: Int
    private let multi: UnsafeMutableRawPointer
    private let epoll: EpollSet
    private let clock: LoopClock
    private var active: [UnsafeMutableRawPointer: CurlTransfer] = [:]
    private var idleHandles: [UnsafeMutableRawPointer] = []
    /// Sockets in the epoll set, with the interest registered there and whether libcurl still
    /// wants them watched.
    private var registered: [Int32: (events: UInt32, wanted: Bool)] = [:]
    /// libcurl's timer, in monotonic nanoseconds.
    private(set) var timerDeadline: UInt64?
    /// A newer config no longer uses this client: it is freed once its transfers are done.
    var retired = false

    var inFlight: Int { active.count }

    init(upstream: UpstreamConfig, slot: Int, epoll: EpollSet, clock: LoopClock, connectionShare: Int) {
        CurlGlobal.ensureInitialised()
        self.upstream = upstream
        self.slot = slot
        self.epoll = epoll
        self.clock = clock
        guard let multi = curl_multi_init() else { fatalError("curl_multi_init failed") }
        self.multi = multi
        _ = cg_multi_setopt_long(multi, CURLMOPT_MAX_TOTAL_CONNECTIONS, connectionShare)
        _ = cg_multi_setopt_long(multi, CURLMOPT_MAX_HOST_CONNECTIONS, connectionShare)
        _ = cg_multi_setopt_long(multi, CURLMOPT_MAXCONNECTS, connectionShare)
        let me = Unmanaged.passUnretained(self).toOpaque()
        _ = cg_multi_setopt_socket_function(multi, curlSocketCallback)
        _ = cg_multi_setopt_pointer(multi, CURLMOPT_SOCKETDATA, me)
        _ = cg_multi_setopt_timer_function(multi, curlTimerCallback)
        _ = cg_multi_setopt_pointer(multi, CURLMOPT_TIMERDATA, me)
    }

    /// Starts the request; `completion` runs on this worker when the whole response is in, from
    /// `collectFinished`, or at once (before this returns) when libcurl refuses the request.
    func execute(_ request: UpstreamRequest, completion: @escaping (UpstreamReply) -> Void) {
        let transfer = CurlTransfer(request: request, completion: completion)
        let easy: UnsafeMutableRawPointer
        if let reused = idleHandles.popLast() {
            easy = reused
        } else if let fresh = curl_easy_init(), CurlTransfer.prepare(fresh, upstream: upstream), adopt(fresh) {
            easy = fresh
        } else {
            completion(UpstreamReply(result: .failure(.connectError, detail: "curl_easy_init failed")))
            return
        }
        guard transfer.configure(easy), curl_multi_add_handle(multi, easy) == CURLM_OK else {
            idleHandles.append(easy)
            completion(UpstreamReply(result: .failure(.badResponse, detail: "libcurl refused the request for \(request.url)")))
            return
        }
        active[easy] = transfer
    }

    /// A watched socket is ready.
    func socketReady(_ fd: Int32, events: UInt32) {
        guard let registration = registered[fd] else {
            // Reported before libcurl closed it, in the same batch: the number may belong to
            // another socket of this worker by now, so it is left alone.
            return
        }
        guard registration.wanted else {
            // An idle cached connection became readable (closed by the peer, usually).
            registered[fd] = nil
            epoll.remove(fd)
            return
        }
        var flags: Int32 = 0
        if events & EPOLLIN.rawValue != 0 { flags |= CURL_CSELECT_IN }
        if events & EPOLLOUT.rawValue != 0 { flags |= CURL_CSELECT_OUT }
        if events & (EPOLLERR.rawValue | EPOLLHUP.rawValue) != 0 { flags |= CURL_CSELECT_ERR }
        var running: Int32 = 0
        curl_multi_socket_action(multi, fd, flags, &running)
    }

    /// libcurl's timer is due (`now` ≥ `timerDeadline`).
    func timerDue() {
        timerDeadline = nil
        var running: Int32 = 0
        curl_multi_socket_action(multi, CURL_SOCKET_TIMEOUT, 0, &running)
    }

    /// Completes every finished transfer, on this thread.
    func collectFinished() {
        var remaining: Int32 = 0
        var finished: [(CurlTransfer, UpstreamReply)] = []
        while let message = curl_multi_info_read(multi, &remaining) {
            guard message.pointee.msg == CURLMSG_DONE, let easy = message.pointee.easy_handle else { continue }
            let code = message.pointee.data.result
            curl_multi_remove_handle(multi, easy)
            guard let transfer = active.removeValue(forKey: easy) else { continue }
            let reply = UpstreamReply(result: transfer.result(code: code, easy: easy), resends: max(0, transfer.sends - 1))
            idleHandles.append(easy)
            finished.append((transfer, reply))
        }
        for (transfer, reply) in finished { transfer.completion(reply) }
    }

    /// Fails what is still in flight and frees every handle (the worker is stopping, or the
    /// client was retired and is idle).
    func close() {
        let aborted = active
        active.removeAll()
        for (easy, _) in aborted {
            curl_multi_remove_handle(multi, easy)
            curl_easy_cleanup(easy)
        }
        for easy in idleHandles { curl_easy_cleanup(easy) }
        idleHandles.removeAll()
        curl_multi_cleanup(multi)
        for fd in registered.keys { epoll.remove(fd) }
        registered.removeAll()
        for (_, transfer) in aborted {
            transfer.completion(UpstreamReply(result: .failure(.connectError, detail: "the gateway is shutting down")))
        }
    }

    // MARK: - libcurl's callbacks

    fileprivate func setTimer(milliseconds: Int) {
        timerDeadline = milliseconds < 0 ? nil : clock.now + UInt64(milliseconds) * 1_000_000
    }

    fileprivate func watch(_ fd: Int32, what: Int32) {
        if what == CURL_POLL_REMOVE {
            registered[fd]?.wanted = false
            return
        }
        let events = (what & CURL_POLL_IN != 0 ? EPOLLIN.rawValue : 0) | (what & CURL_POLL_OUT != 0 ? EPOLLOUT.rawValue : 0)
        if let current = registered[fd], current.events == events {
            registered[fd] = (events, true)
            return
        }
        let token = EpollToken(.upstream, slot: slot, fd: fd)
        if registered[fd] == nil {
            if !epoll.add(fd, events: events, token: token) { epoll.modify(fd, events: events, token: token) }
        } else if !epoll.modify(fd, events: events, token: token) {
            epoll.add(fd, events: events, token: token)
        }
        registered[fd] = (events, true)
    }

    /// libcurl closes a connection's socket: forget it first, so a new socket that gets the same
    /// number is registered afresh.
    fileprivate func close(socket fd: Int32) -> Int32 {
        if registered.removeValue(forKey: fd) != nil { epoll.remove(fd) }
        return Glibc.close(fd)
    }

    /// Makes libcurl close this handle's sockets through `close(socket:)`.
    private func adopt(_ easy: UnsafeMutableRawPointer) -> Bool {
        cg_easy_setopt_closesocket_function(easy, curlCloseSocketCallback) == CURLE_OK
            && cg_easy_setopt_pointer(easy, CURLOPT_CLOSESOCKETDATA, Unmanaged.passUnretained(self).toOpaque()) == CURLE_OK
    }
}

private func curlSocketCallback(
    _ easy: UnsafeMutableRawPointer?, _ socket: curl_socket_t, _ what: Int32, _ user: UnsafeMutableRawPointer?, _ socketData: UnsafeMutableRawPointer?
) -> Int32 {
    guard let user else { return -1 }
    Unmanaged<CurlMulti>.fromOpaque(user).takeUnretainedValue().watch(socket, what: what)
    return 0
}

private func curlCloseSocketCallback(_ user: UnsafeMutableRawPointer?, _ socket: curl_socket_t) -> Int32 {
    guard let user else { return Glibc.close(socket) }
    return Unmanaged<CurlMulti>.fromOpaque(user).takeUnretainedValue().close(socket: socket)
}

private func curlTimerCallback(_ multi: UnsafeMutableRawPointer?, _ milliseconds: Int, _ user: UnsafeMutableRawPointer?) -> Int32 {
    guard let user else { return -1 }
    Unmanaged<CurlMulti>.fromOpaque(user).takeUnretainedValue().setTimer(milliseconds: milliseconds)
    return 0
}
