import Foundation

/// What the config poller compares before reading a file: the identity, size and modification
/// time of what the path resolves to (`stat` follows symlinks, so a Kubernetes ConfigMap swap
/// changes it). A file whose stamp did not change is not read and hashed again.
public struct FileStamp: Sendable, Equatable {
    var device: UInt64
    var inode: UInt64
    var size: Int64
    var modifiedSeconds: Int
    var modifiedNanoseconds: Int

    /// nil when the path cannot be examined (missing, no permission).
    public init?(path: String) {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        device = UInt64(info.st_dev)
        inode = UInt64(info.st_ino)
        size = Int64(info.st_size)
        modifiedSeconds = info.st_mtim.tv_sec
        modifiedNanoseconds = info.st_mtim.tv_nsec
    }
}
