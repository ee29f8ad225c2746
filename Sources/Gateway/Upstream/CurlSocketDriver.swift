import CCurl
import CLinuxEvents
import Glibc
import NIOCore

/// Drives one libcurl multi handle through its socket interface: libcurl says which sockets it
/// wants watched (registered in an epoll set) and when its timer is due, and is told exactly
/// which socket is ready. Unlike `curl_multi_perform` + `curl_multi_poll`, the cost of a wake
/// does not grow with the number of kept-alive connections.
///
/// A kept-alive connection is un-watched after every response and watched again on reuse;
/// the epoll registration is kept across that gap (an event on an un-watched socket removes
/// it), so reuse costs no `epoll_ctl`. That is safe because libcurl closes sockets through
/// `close(socket:)` here, which forgets them before the number can be reused.
///
/// Used by its client's curl thread only, except `wake()`, which any thread may call while the
/// driver is open (an eventfd write).
final class CurlSocketDriver {
    private let epoll: Int32
    private let wakeFD: Int32
    /// Sockets in the epoll set, with the interest registered there and whether libcurl still
    /// wants them watched.
    private var registered: [Int32: (events: UInt32, wanted: Bool)] = [:]
    private var timerDeadline: NIODeadline?
    private var events = [epoll_event](repeating: epoll_event(), count: 128)

    init(multi: UnsafeMutableRawPointer) {
        epoll = epoll_create1(Int32(EPOLL_CLOEXEC))
        wakeFD = eventfd(0, Int32(EFD_NONBLOCK | EFD_CLOEXEC))
        precondition(epoll >= 0 && wakeFD >= 0, "epoll or eventfd unavailable")
        var event = epoll_event()
        event.events = EPOLLIN.rawValue
        event.data.fd = wakeFD
        epoll_ctl(epoll, EPOLL_CTL_ADD, wakeFD, &event)
        let me = Unmanaged.passUnretained(self).toOpaque()
        _ = cg_multi_setopt_socket_function(multi, curlSocketCallback)
        _ = cg_multi_setopt_pointer(multi, CURLMOPT_SOCKETDATA, me)
        _ = cg_multi_setopt_timer_function(multi, curlTimerCallback)
        _ = cg_multi_setopt_pointer(multi, CURLMOPT_TIMERDATA, me)
    }

    func wake() {
        eventfd_write(wakeFD, 1)
    }

    /// Waits (at most `maxWait`, less when libcurl's timer is due sooner) for ready sockets or a
    /// wake-up, and lets libcurl act on whatever happened.
    func waitAndAct(multi: UnsafeMutableRawPointer, maxWait: TimeAmount) {
        var timeout = maxWait
        if let timerDeadline { timeout = max(.zero, min(timeout, timerDeadline - .now())) }
        let milliseconds = Int32((timeout.nanoseconds + 999_999) / 1_000_000)
        let ready = events.withUnsafeMutableBufferPointer { buffer in
            epoll_wait(epoll, buffer.baseAddress, Int32(buffer.count), milliseconds)
        }
        var running: Int32 = 0
        for index in 0..<max(0, Int(ready)) {
            let event = events[index]
            let fd = event.data.fd
            if fd == wakeFD {
                var value: eventfd_t = 0
                eventfd_read(wakeFD, &value)
                continue
            }
            if registered[fd]?.wanted != true {
                // An idle cached connection became readable (closed by the peer, usually).
                registered[fd] = nil
                epoll_ctl(epoll, EPOLL_CTL_DEL, fd, nil)
                continue
            }
            var flags: Int32 = 0
            if event.events & EPOLLIN.rawValue != 0 { flags |= CURL_CSELECT_IN }
            if event.events & EPOLLOUT.rawValue != 0 { flags |= CURL_CSELECT_OUT }
            if event.events & (EPOLLERR.rawValue | EPOLLHUP.rawValue) != 0 { flags |= CURL_CSELECT_ERR }
            curl_multi_socket_action(multi, fd, flags, &running)
        }
        if let timerDeadline, timerDeadline <= .now() {
            self.timerDeadline = nil
            curl_multi_socket_action(multi, CURL_SOCKET_TIMEOUT, 0, &running)
        }
    }

    /// libcurl's timer changed; a request added to the multi handle sets it to zero, so the next
    /// `waitAndAct` starts the transfer without waiting.
    fileprivate func setTimer(milliseconds: Int) {
        timerDeadline = milliseconds < 0 ? nil : .now() + .milliseconds(Int64(milliseconds))
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
        var event = epoll_event()
        event.events = events
        event.data.fd = fd
        if registered[fd] == nil {
            if epoll_ctl(epoll, EPOLL_CTL_ADD, fd, &event) != 0 { epoll_ctl(epoll, EPOLL_CTL_MOD, fd, &event) }
        } else if epoll_ctl(epoll, EPOLL_CTL_MOD, fd, &event) != 0 {
            epoll_ctl(epoll, EPOLL_CTL_ADD, fd, &event)
        }
        registered[fd] = (events, true)
    }

    /// libcurl closes a connection's socket: forget it first, so a new socket that gets the same
    /// number is registered afresh.
    fileprivate func close(socket fd: Int32) -> Int32 {
        if registered.removeValue(forKey: fd) != nil { epoll_ctl(epoll, EPOLL_CTL_DEL, fd, nil) }
        return Glibc.close(fd)
    }

    /// Makes libcurl close this handle's sockets through the driver.
    func adopt(_ easy: UnsafeMutableRawPointer) -> Bool {
        cg_easy_setopt_closesocket_function(easy, curlCloseSocketCallback) == CURLE_OK
            && cg_easy_setopt_pointer(easy, CURLOPT_CLOSESOCKETDATA, Unmanaged.passUnretained(self).toOpaque()) == CURLE_OK
    }

    func close() {
        Glibc.close(wakeFD)
        Glibc.close(epoll)
    }
}

private func curlSocketCallback(
    _ easy: UnsafeMutableRawPointer?, _ socket: curl_socket_t, _ what: Int32, _ user: UnsafeMutableRawPointer?, _ socketData: UnsafeMutableRawPointer?
) -> Int32 {
    guard let user else { return -1 }
    Unmanaged<CurlSocketDriver>.fromOpaque(user).takeUnretainedValue().watch(socket, what: what)
    return 0
}

private func curlCloseSocketCallback(_ user: UnsafeMutableRawPointer?, _ socket: curl_socket_t) -> Int32 {
    guard let user else { return Glibc.close(socket) }
    return Unmanaged<CurlSocketDriver>.fromOpaque(user).takeUnretainedValue().close(socket: socket)
}

private func curlTimerCallback(_ multi: UnsafeMutableRawPointer?, _ milliseconds: Int, _ user: UnsafeMutableRawPointer?) -> Int32 {
    guard let user else { return -1 }
    Unmanaged<CurlSocketDriver>.fromOpaque(user).takeUnretainedValue().setTimer(milliseconds: milliseconds)
    return 0
}
