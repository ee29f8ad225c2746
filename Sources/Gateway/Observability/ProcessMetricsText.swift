import Foundation
import Glibc

/// The standard `process_*` metrics (as Prometheus's own client libraries name them), read from
/// `/proc` at each scrape: CPU time, resident and virtual memory, open and maximum descriptors,
/// and the start time.
enum ProcessMetricsText {
    struct Sample: Equatable {
        var cpuSeconds: Double
        var residentBytes: Double
        var virtualBytes: Double
        var startTimeSeconds: Double
        var openFDs: Int
        var maxFDs: Int
    }

    static func render(into output: inout [UInt8]) {
        guard let sample = read() else { return }
        var text = ""
        family(&text, "process_cpu_seconds_total", "counter", "Total user and system CPU time spent in seconds.", sample.cpuSeconds)
        family(&text, "process_resident_memory_bytes", "gauge", "Resident memory size in bytes.", sample.residentBytes)
        family(&text, "process_virtual_memory_bytes", "gauge", "Virtual memory size in bytes.", sample.virtualBytes)
        family(&text, "process_start_time_seconds", "gauge", "Start time of the process since unix epoch in seconds.", sample.startTimeSeconds)
        family(&text, "process_open_fds", "gauge", "Number of open file descriptors.", Double(sample.openFDs))
        family(&text, "process_max_fds", "gauge", "Maximum number of open file descriptors.", Double(sample.maxFDs))
        output.append(contentsOf: text.utf8)
    }

    /// This process's figures, or nil where `/proc` is not mounted.
    static func read() -> Sample? {
        guard let stat = try? String(contentsOfFile: "/proc/self/stat", encoding: .utf8), let close = stat.lastIndex(of: ")") else { return nil }
        // The fields after the command name, which may itself hold spaces and parentheses;
        // field n of proc(5) is at index n - 3.
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        func field(_ number: Int) -> Double { fields.count > number - 3 ? Double(fields[number - 3]) ?? 0 : 0 }
        let ticks = Double(sysconf(Int32(_SC_CLK_TCK)))
        let page = Double(sysconf(Int32(_SC_PAGESIZE)))
        var limit = rlimit()
        getrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit)
        return Sample(
            cpuSeconds: (field(14) + field(15)) / ticks,
            residentBytes: field(24) * page,
            virtualBytes: field(23),
            startTimeSeconds: bootTime() + field(22) / ticks,
            openFDs: openDescriptors(),
            maxFDs: Int(clamping: limit.rlim_cur)
        )
    }

    private static func bootTime() -> Double {
        guard let stat = try? String(contentsOfFile: "/proc/stat", encoding: .utf8) else { return 0 }
        for line in stat.split(separator: "\n") where line.hasPrefix("btime ") {
            return Double(line.dropFirst("btime ".count)) ?? 0
        }
        return 0
    }

    /// Entries of `/proc/self/fd`, less the one the listing itself opens.
    ///
    /// A `dirent` from `readdir` is only as long as its name (`d_reclen`): the last one of a
    /// buffer can end before `MemoryLayout<dirent>.size`, so neither the struct nor its
    /// `d_name` array is copied — the name is read in place, at most its first three bytes.
    private static func openDescriptors() -> Int {
        guard let directory = opendir("/proc/self/fd") else { return 0 }
        defer { closedir(directory) }
        let nameOffset = MemoryLayout<dirent>.offset(of: \dirent.d_name)!
        var count = 0
        while let entry = readdir(directory) {
            let name = UnsafeRawPointer(entry).advanced(by: nameOffset).assumingMemoryBound(to: UInt8.self)
            let isDot = name[0] == UInt8(ascii: ".") && (name[1] == 0 || (name[1] == UInt8(ascii: ".") && name[2] == 0))
            if !isDot { count += 1 }
        }
        return max(0, count - 1)
    }

    private static func family(_ text: inout String, _ name: String, _ type: String, _ help: String, _ value: Double) {
        text += "# HELP \(name) \(help)\n# TYPE \(name) \(type)\n\(name) \(value)\n"
    }
}
