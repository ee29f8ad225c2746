import Synchronization

/// A fixed block of atomic counters that one worker thread writes and any thread reads: the
/// per-worker half of "counters merged on read". Each worker has its own block, so the
/// relaxed adds on the request path never contend with another worker's.
///
/// `@unchecked Sendable`: every element is an `Atomic<Int>`, only ever accessed through its
/// atomic operations; the memory is allocated in `init` and freed in `deinit` only.
final class CounterBlock: @unchecked Sendable {
    private let base: UnsafeMutablePointer<Atomic<Int>>
    let count: Int

    init(count: Int) {
        self.count = count
        base = .allocate(capacity: count)
        for index in 0..<count { (base + index).initialize(to: Atomic(0)) }
    }

    deinit {
        base.deinitialize(count: count)
        base.deallocate()
    }

    @inline(__always)
    func add(_ index: Int, _ value: Int = 1) {
        base[index].wrappingAdd(value, ordering: .relaxed)
    }

    @inline(__always)
    func load(_ index: Int) -> Int {
        base[index].load(ordering: .relaxed)
    }

    @inline(__always)
    func loadAcquiring(_ index: Int) -> Int {
        base[index].load(ordering: .acquiring)
    }

    @inline(__always)
    func store(_ index: Int, _ value: Int) {
        base[index].store(value, ordering: .relaxed)
    }

    @inline(__always)
    func storeReleasing(_ index: Int, _ value: Int) {
        base[index].store(value, ordering: .releasing)
    }
}
