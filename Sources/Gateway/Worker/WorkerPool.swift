import Dispatch
import Foundation
import GatewayCore
import Logging

/// The public listener: `count` share-nothing workers, each on its own thread with its own
/// `SO_REUSEPORT` socket. Started and stopped from outside; nothing else crosses into a worker
/// but the tasks submitted here.
final class WorkerPool: Sendable {
    let port: Int
    private let workers: [Worker]
    private let running = DispatchGroup()

    /// Binds the sockets (so a busy address fails here, before anything runs) and starts the
    /// threads.
    init(address: HostPort, count: Int, runtime: GatewayRuntime, logger: Logger) throws(ListenSockets.Failure) {
        let (fds, port) = try ListenSockets.open(address, count: count)
        self.port = port
        workers = fds.enumerated().map { index, fd in
            Worker(index: index, listener: fd, totalWorkers: fds.count, runtime: runtime, logger: logger)
        }
        for worker in workers {
            running.enter()
            let thread = Thread { [running] in
                worker.run()
                running.leave()
            }
            thread.name = "worker-\(worker.index)"
            thread.start()
        }
    }

    var count: Int { workers.count }

    /// Graceful stop: no new connections; each connection finishes the answer it owes and
    /// closes; after `grace` the rest are closed. Returns when every worker has stopped.
    func shutdown(grace: Duration, logger: Logger, openConnections: @escaping @Sendable () -> Int) async {
        for worker in workers { worker.submit { $0.quiesce() } }
        let running = running
        let finished = await Blocking.run { running.wait(timeout: .now() + .milliseconds(Int(grace.milliseconds))) == .success }
        if !finished {
            let open = openConnections()
            if open > 0 { logger.warning("grace period over; closing the remaining connections", metadata: ["open_connections": "\(open)"]) }
            for worker in workers { worker.submit { $0.closeAll() } }
            await Blocking.run { running.wait() }
        }
    }
}
