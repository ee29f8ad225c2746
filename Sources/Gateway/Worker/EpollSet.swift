import CLinuxEvents
import Glibc

/// What an epoll event is about, packed into the event's 64-bit user data: the kind of file,
/// a slot (which upstream client, for libcurl's sockets) and the descriptor.
struct EpollToken: Equatable {
    enum Kind: UInt8 {
        case wake = 0
        case listener = 1
        case client = 2
        case upstream = 3
    }

    var kind: Kind
    var slot: Int
    var fd: Int32

    var packed: UInt64 {
        UInt64(kind.rawValue) << 56 | UInt64(UInt16(truncatingIfNeeded: slot)) << 32 | UInt64(UInt32(bitPattern: fd))
    }

    init(_ kind: Kind, slot: Int = 0, fd: Int32) {
        self.kind = kind
        self.slot = slot
        self.fd = fd
    }

    init?(packed: UInt64) {
        guard let kind = Kind(rawValue: UInt8(packed >> 56)) else { return nil }
        self.kind = kind
        slot = Int((packed >> 32) & 0xFFFF)
        fd = Int32(bitPattern: UInt32(truncatingIfNeeded: packed))
    }
}

/// One epoll set and the eventfd that wakes it: the heart of a worker. Level-triggered, so a
/// socket with input left unread is reported again.
final class EpollSet {
    let fd: Int32
    let wakeFD: Int32

    init() {
        fd = epoll_create1(Int32(EPOLL_CLOEXEC))
        wakeFD = eventfd(0, Int32(EFD_NONBLOCK | EFD_CLOEXEC))
        precondition(fd >= 0 && wakeFD >= 0, "epoll or eventfd unavailable: errno \(errno)")
        _ = add(wakeFD, events: EPOLLIN.rawValue, token: EpollToken(.wake, fd: wakeFD))
    }

    @discardableResult
    func add(_ descriptor: Int32, events: UInt32, token: EpollToken) -> Bool {
        control(EPOLL_CTL_ADD, descriptor, events: events, token: token)
    }

    @discardableResult
    func modify(_ descriptor: Int32, events: UInt32, token: EpollToken) -> Bool {
        control(EPOLL_CTL_MOD, descriptor, events: events, token: token)
    }

    func remove(_ descriptor: Int32) {
        epoll_ctl(fd, EPOLL_CTL_DEL, descriptor, nil)
    }

    private func control(_ operation: Int32, _ descriptor: Int32, events: UInt32, token: EpollToken) -> Bool {
        var event = epoll_event()
        event.events = events
        event.data.u64 = token.packed
        return epoll_ctl(fd, operation, descriptor, &event) == 0
    }

    /// Any thread may call this: the next (or current) `wait` returns.
    func wake() {
        eventfd_write(wakeFD, 1)
    }

    func drainWake() {
        var value: eventfd_t = 0
        eventfd_read(wakeFD, &value)
    }

    func wait(into events: UnsafeMutableBufferPointer<epoll_event>, timeoutMilliseconds: Int32) -> Int {
        let ready = epoll_wait(fd, events.baseAddress, Int32(events.count), timeoutMilliseconds)
        return max(0, Int(ready))
    }

    func close() {
        Glibc.close(wakeFD)
        Glibc.close(fd)
    }
}
