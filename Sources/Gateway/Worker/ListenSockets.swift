import GatewayCore
import Glibc

/// The public listener's sockets: one per worker, all bound to the same address with
/// `SO_REUSEPORT`, so the kernel spreads new connections across the workers.
enum ListenSockets {
    struct Failure: Error {
        var reason: String
    }

    /// Binds `count` listening sockets to `address` and returns them with the bound port (the
    /// one the kernel chose when the configured port is 0).
    static func open(_ address: HostPort, count: Int, backlog: Int32 = 1024) throws(Failure) -> (fds: [Int32], port: Int) {
        var resolved = try resolve(address)
        // SO_REUSEPORT lets another process of this user share a port silently; a plain bind
        // first makes sure the port is really free (another gateway still running, say).
        if address.port != 0 {
            let probe = try bound(&resolved, reusePort: false)
            Glibc.close(probe)
        }
        var fds: [Int32] = []
        for _ in 0..<count {
            do throws(Failure) {
                let fd = try bound(&resolved, reusePort: true)
                fds.append(fd)
                guard listen(fd, backlog) == 0 else { throw Failure(reason: describe(errno)) }
                if fds.count == 1 { setPort(&resolved, to: boundPort(fd)) }
            } catch {
                for fd in fds { Glibc.close(fd) }
                throw error
            }
        }
        return (fds, boundPort(fds[0]))
    }

    private static func resolve(_ address: HostPort) throws(Failure) -> sockaddr_storage {
        var hints = addrinfo()
        hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var result: UnsafeMutablePointer<addrinfo>?
        let host = address.host.hasPrefix("[") ? String(address.host.dropFirst().dropLast()) : address.host
        let status = getaddrinfo(host.isEmpty ? nil : host, String(address.port), &hints, &result)
        guard status == 0, let first = result else {
            throw Failure(reason: "cannot resolve \(host): \(String(cString: gai_strerror(status)))")
        }
        defer { freeaddrinfo(result) }
        var storage = sockaddr_storage()
        withUnsafeMutableBytes(of: &storage) { raw in
            raw.copyMemory(from: UnsafeRawBufferPointer(start: first.pointee.ai_addr, count: Int(first.pointee.ai_addrlen)))
        }
        return storage
    }

    private static func bound(_ address: inout sockaddr_storage, reusePort: Bool) throws(Failure) -> Int32 {
        let family = Int32(address.ss_family)
        let fd = socket(family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw Failure(reason: describe(errno)) }
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        if reusePort { setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, socklen_t(MemoryLayout<Int32>.size)) }
        let length = socklen_t(family == AF_INET6 ? MemoryLayout<sockaddr_in6>.size : MemoryLayout<sockaddr_in>.size)
        let result = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
        guard result == 0 else {
            let code = errno
            Glibc.close(fd)
            throw Failure(reason: describe(code))
        }
        return fd
    }

    private static func boundPort(_ fd: Int32) -> Int {
        var address = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        return withUnsafePointer(to: &address) { pointer in
            Int(UInt16(bigEndian: pointer.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { $0.pointee.sin_port }))
        }
    }

    private static func setPort(_ address: inout sockaddr_storage, to port: Int) {
        // sin_port and sin6_port sit at the same offset.
        withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { $0.pointee.sin_port = UInt16(port).bigEndian }
        }
    }

    private static func describe(_ code: Int32) -> String {
        code == EADDRINUSE ? "the address is already in use by another process" : String(cString: strerror(code))
    }
}
