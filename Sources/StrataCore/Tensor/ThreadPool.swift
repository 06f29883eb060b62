import CStrataKernels
import Glibc
import Synchronization

/// The run's threads for Strata's own kernels: `threads - 1` workers plus the calling thread, which run the parts of
/// one loop at a time (`run`). One pool per run (the trainer's `TrainingContext` owns it and passes it to the layers
/// in `LayerContext.pool`), sized like OpenBLAS (`BLAS.threads`, the communicator's threads per rank), so the
/// convolutions, pooling, elementwise passes and the optimizer update keep every core busy, not only the GEMMs.
///
/// `run` parts are static (part `i` always runs the same rows on worker `i`, part 0 on the caller) and write disjoint
/// memory; a reduction adds its per-part partials in part order. `chunks` hands a loop's chunks to whichever thread is
/// free (balanced when the host slows one thread), and a reduction over it keeps one partial per chunk, added in chunk
/// order. Either way a run is bit-identical from run to run at a given thread count. Idle workers spin (~50 us), then yield (`Shared.yields`: the next layer's loop usually follows
/// at once), then sleep, so they never hold a core through a long serial stretch. Workers start at the first parallel
/// `run` and stop when the pool is released.
public final class ThreadPool: @unchecked Sendable {
    /// Threads that run parts (the caller included).
    public let threads: Int
    private let shared: Shared
    private var workers: [pthread_t] = []
    private var scratchBuffer = Tensor(zeros: [0])
    /// Per slot, one cache line each: chunks run, nanoseconds inside them and `chunks` loops it ran a chunk of; after
    /// the slots, the count of `chunks` loops (`recordsChunks`).
    private let tally: UnsafeMutablePointer<UInt64>
    private static let tallyStride = 8

    /// Whether `chunks` counts, per slot, the chunks each thread ran and the time it spent in them (`chunkTally`):
    /// off by default (two clock reads per chunk); the bench's `--profile` turns it on to show how the work split.
    public var recordsChunks = false

    public init(threads: Int) {
        self.threads = max(1, threads)
        shared = Shared()
        tally = .allocate(capacity: (self.threads + 1) * Self.tallyStride)
        tally.initialize(repeating: 0, count: (self.threads + 1) * Self.tallyStride)
    }

    deinit {
        tally.deallocate()
        guard !workers.isEmpty else { return }
        shared.stop()
        for w in workers { pthread_join(w, nil) }
    }

    /// Per slot (0: the calling thread), the chunks `chunks` ran there, their seconds and the loops the slot took
    /// part in, since the last `resetChunkTally` while `recordsChunks` was on (`chunkLoops`: how many loops there
    /// were). Two threads of equal speed that both joined each loop show about equal counts; a worker that joined
    /// fewer loops was still waking when the caller had done them; one that joined them all but ran fewer chunks ran
    /// slower (its core was slower or shared).
    public var chunkTally: [(chunks: Int, seconds: Double, loops: Int)] {
        (0..<threads).map {
            let at = tally + $0 &* Self.tallyStride
            return (Int(at[0]), Double(at[1]) * 1e-9, Int(at[2]))
        }
    }

    /// `chunks` loops counted in `chunkTally`.
    public var chunkLoops: Int { Int(tally[threads &* Self.tallyStride]) }

    public func resetChunkTally() { tally.update(repeating: 0, count: (threads &+ 1) &* Self.tallyStride) }

    /// `body` for one chunk on `slot`, counted in the tally when `recordsChunks` is on.
    @inline(__always) private func timed(_ slot: Int, _ body: () -> Void) {
        guard recordsChunks else { return body() }
        var t0 = timespec(), t1 = timespec()
        clock_gettime(CLOCK_MONOTONIC, &t0)
        body()
        clock_gettime(CLOCK_MONOTONIC, &t1)
        let at = tally + slot &* Self.tallyStride
        at[0] &+= 1
        at[1] &+= UInt64(max(0, (t1.tv_sec - t0.tv_sec) * 1_000_000_000 + (t1.tv_nsec - t0.tv_nsec)))
    }

    /// Calls `body(part)` for `part` in `0..<parts` (at most `threads` parts), concurrently when there is more than
    /// one, and returns when all have returned. The parts must write disjoint memory.
    public func run(_ parts: Int, _ body: (Int) -> Void) { run(parts, optional: false, body) }

    /// `run`, or with `optional` a job whose parts other than 0 may be skipped: a worker that has not started its part
    /// when the caller finishes part 0 never runs it, and the caller waits only for workers already running theirs
    /// (`chunks`, whose parts all take chunks from one counter until none is left, so part 0 alone does them all).
    private func run(_ parts: Int, optional: Bool, _ body: (Int) -> Void) {
        precondition(parts <= threads, "ThreadPool.run: \(parts) parts for \(threads) threads")
        if parts <= 1 { return parts == 1 ? body(0) : () }
        if workers.isEmpty { startWorkers() }
        withoutActuallyEscaping(body) { body in
            shared.publish(parts: parts, workers: workers.count, optional: optional, body)
            body(0)
            shared.waitForWorkers(optional: optional)
        }
    }

    /// Calls `body(part, range)` for `parts` (default `parts(count)`) contiguous ranges that split `0..<count` as
    /// `Batches.shard` splits a batch over ranks.
    public func split(_ count: Int, parts: Int? = nil, _ body: (Int, Range<Int>) -> Void) {
        let n = parts ?? self.parts(count)
        run(n) { i in body(i, Batches.shard(count, rank: i, size: n)) }
    }

    /// Calls `body(chunk, slot, range)` for the `chunks` contiguous ranges that split `0..<count` as `Batches.shard`
    /// splits a batch (chunk `c` always gets the same range), handed out one at a time to whichever thread is free
    /// next, so a thread the host slows down (or a worker still waking) takes fewer chunks instead of holding the
    /// other at the join; a worker that has not started by the time the chunks are all done is not waited for. `slot` (below `threads`) names the thread running the chunk, for per-thread scratch.
    /// Which thread runs which chunk varies from run to run: anything summed must be kept per chunk and added in chunk
    /// order afterwards (as `ConvKernels.kernelGradient` does), so results stay bit-identical at a given chunk count.
    public func chunks(_ count: Int, chunks: Int, _ body: (_ chunk: Int, _ slot: Int, _ range: Range<Int>) -> Void) {
        let n = max(1, chunks)
        if threads == 1 || n == 1 {
            for c in 0..<n { timed(0) { body(c, 0, Batches.shard(count, rank: c, size: n)) } }
            if recordsChunks {
                tally[threads &* Self.tallyStride] &+= 1
                tally[2] &+= 1
            }
            return
        }
        let shared = self.shared
        shared.nextChunk.store(0, ordering: .relaxed)
        let recording = recordsChunks
        if recording { tally[threads &* Self.tallyStride] &+= 1 }
        run(min(threads, n), optional: true) { slot in
            var joined = false
            while true {
                let c = shared.nextChunk.wrappingAdd(1, ordering: .relaxed).oldValue
                if c >= n { break }
                joined = true
                timed(slot) { body(c, slot, Batches.shard(count, rank: c, size: n)) }
            }
            if recording && joined { tally[slot &* Self.tallyStride &+ 2] &+= 1 }
        }
    }

    /// Chunks for `chunks(_:chunks:_:)` over `count` items worth splitting only above `grain` items per chunk:
    /// `perThread` per thread (enough that a slowed thread's share moves to the other), at most one per `grain`
    /// items, 1 on a one-thread pool.
    public func chunkCount(_ count: Int, grain: Int = 1, perThread: Int = ThreadPool.chunksPerThread) -> Int {
        threads == 1 ? 1 : max(1, min(threads &* perThread, count / max(grain, 1)))
    }

    /// Chunks per thread of a balanced loop (`chunkCount`): at 4, a thread that stalls for a whole chunk costs the
    /// join an eighth of the loop at 2 threads instead of up to half, and the per-chunk partial sums of a reduction
    /// stay a few copies of the result.
    public static let chunksPerThread = 4

    /// A buffer of at least `count` floats that parts may write (disjoint ranges) and the caller reads after `run`,
    /// e.g. per-part partial sums: allocated once, grown when asked for more, reused by the next call (so its
    /// contents are only valid until then).
    public func scratch(_ count: Int) -> Tensor {
        if scratchBuffer.count < count { scratchBuffer = Tensor(zeros: [count]) }
        return scratchBuffer
    }

    /// Parts for `count` independent items: one per thread, at most one per item.
    public func parts(_ count: Int) -> Int { max(1, min(threads, count)) }

    /// Parts for `count` elements of a streaming loop worth splitting only above `grain` elements per part (a
    /// fork-join costs a few microseconds: small loops stay on the calling thread).
    public func parts(_ count: Int, grain: Int) -> Int { max(1, min(threads, count / max(grain, 1))) }

    private func startWorkers() {
        for index in 1..<threads {
            let box = Unmanaged.passRetained(WorkerStart(shared: shared, index: index)).toOpaque()
            var thread = pthread_t()
            let rc = pthread_create(
                &thread, nil,
                { raw in
                    let start = Unmanaged<WorkerStart>.fromOpaque(raw!).takeRetainedValue()
                    start.shared.work(index: start.index)
                    return nil
                }, box)
            precondition(rc == 0, "ThreadPool: pthread_create failed (\(rc))")
            workers.append(thread)
        }
    }

    private final class WorkerStart {
        let shared: Shared
        let index: Int
        init(shared: Shared, index: Int) { (self.shared, self.index) = (shared, index) }
    }

    /// The state the caller and the workers share: the published job, a generation counter the workers wait on, the
    /// count of workers still busy, and a mutex with two conditions for sleeping (workers: a new job; the caller:
    /// the last worker done).
    private final class Shared: @unchecked Sendable {
        /// Counts jobs, odd for an optional job (`run(_:optional:_:)`), even for a required one, so a worker reads the
        /// job's kind with its generation in one load.
        let generation = Atomic<Int>(0)
        /// Workers yet to finish the current required job.
        let busy = Atomic<Int>(0)
        /// The current optional job's entry word: its generation's tag (`tag(_:)`) in the high bits, `closed` once the
        /// caller has finished part 0, and the count of workers running a part in the low bits. A worker enters by
        /// compare-and-swap only while the tag matches its generation and the job is open.
        let entry = Atomic<Int>(0)
        static let closed = 1 << 31
        static let countMask = closed - 1
        /// A generation's tag in `entry`.
        @inline(__always) static func tag(_ generation: Int) -> Int { (generation >> 1 & 0x3fff_ffff) << 32 }
        let stopping = Atomic<Bool>(false)
        /// The next chunk of the current `chunks` loop to hand out.
        let nextChunk = Atomic<Int>(0)
        nonisolated(unsafe) var body: ((Int) -> Void)?
        nonisolated(unsafe) var parts = 0
        let lock = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
        let wake = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
        let done = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
        /// Spins (each a CPU pause, ~25 ns on this EPYC) before a waiting thread yields: ~50 microseconds.
        static let spins = 2000
        /// Then `sched_yield` rounds before it sleeps: well under a microsecond each on an idle core, a time slice to
        /// another thread on a busy one (a preempted partner runs sooner). The worker stays awake through a step's
        /// short serial stretches (loss, metrics, the next layer's setup) instead of parking and costing the next
        /// fork a futex wake and a halted vCPU's wake-up.
        static let yields = 500

        /// Waits for `ready()` by spinning, then yielding; false when it is still not true after both (the caller
        /// then sleeps on a condition).
        @inline(__always) static func spin(until ready: () -> Bool) -> Bool {
            for _ in 0..<spins {
                if ready() { return true }
                strata_cpu_relax()
            }
            for _ in 0..<yields {
                if ready() { return true }
                sched_yield()
            }
            return ready()
        }

        init() {
            pthread_mutex_init(lock, nil)
            pthread_cond_init(wake, nil)
            pthread_cond_init(done, nil)
        }

        deinit {
            pthread_cond_destroy(done)
            pthread_cond_destroy(wake)
            pthread_mutex_destroy(lock)
            done.deallocate()
            wake.deallocate()
            lock.deallocate()
        }

        /// Makes `body` the current job for every worker (those with an index at or above `parts` only acknowledge a
        /// required job; an optional one they ignore).
        func publish(parts: Int, workers: Int, optional: Bool, _ body: @escaping (Int) -> Void) {
            self.body = body
            self.parts = parts
            let next = (generation.load(ordering: .relaxed) | 1) &+ (optional ? 2 : 1)
            if optional { entry.store(Shared.tag(next), ordering: .relaxed) } else { busy.store(workers, ordering: .relaxed) }
            pthread_mutex_lock(lock)
            generation.store(next, ordering: .releasing)
            pthread_cond_broadcast(wake)
            pthread_mutex_unlock(lock)
        }

        /// The caller's join: every worker done (required job), or the job closed to late workers and the ones
        /// running a part done (optional job).
        func waitForWorkers(optional: Bool) {
            if optional { entry.bitwiseOr(Shared.closed, ordering: .acquiringAndReleasing) }
            let finished = {
                optional
                    ? self.entry.load(ordering: .acquiring) & Shared.countMask == 0
                    : self.busy.load(ordering: .acquiring) == 0
            }
            if !Shared.spin(until: finished) {
                pthread_mutex_lock(lock)
                while !finished() { pthread_cond_wait(done, lock) }
                pthread_mutex_unlock(lock)
            }
            body = nil
        }

        /// Runs part `index` of optional job `g` if the job is still open (its tag current, not closed), counted in
        /// `entry` while it runs (so the job's `body` and `parts` stay until it is out).
        private func enter(_ g: Int, index: Int) {
            var e = entry.load(ordering: .acquiring)
            while true {
                if e & ~Shared.countMask != Shared.tag(g) { return }  // closed, or another job's
                let (exchanged, seen) = entry.compareExchange(
                    expected: e, desired: e &+ 1, ordering: .acquiringAndReleasing)
                if exchanged { break }
                e = seen
            }
            if index < parts, let body { body(index) }
            let left = entry.subtract(1, ordering: .acquiringAndReleasing).newValue
            if left & Shared.countMask == 0 && left & Shared.closed != 0 {  // the caller is waiting: the last one out
                pthread_mutex_lock(lock)
                pthread_cond_signal(done)
                pthread_mutex_unlock(lock)
            }
        }

        func stop() {
            pthread_mutex_lock(lock)
            stopping.store(true, ordering: .releasing)
            pthread_cond_broadcast(wake)
            pthread_mutex_unlock(lock)
        }

        /// A worker's loop: wait for a new generation (spin, yield, then sleep), run its part, report done.
        func work(index: Int) {
            var seen = 0
            while true {
                let fresh = { self.generation.load(ordering: .acquiring) != seen || self.stopping.load(ordering: .acquiring) }
                if !Shared.spin(until: fresh) {
                    pthread_mutex_lock(lock)
                    while !fresh() { pthread_cond_wait(wake, lock) }
                    pthread_mutex_unlock(lock)
                }
                let g = generation.load(ordering: .acquiring)
                if g == seen { return }  // stopping, no job left
                seen = g
                if g & 1 != 0 {  // optional: the caller may have finished without this worker
                    enter(g, index: index)
                    continue
                }
                if index < parts, let body { body(index) }
                if busy.subtract(1, ordering: .acquiringAndReleasing).newValue == 0 {
                    pthread_mutex_lock(lock)
                    pthread_cond_signal(done)
                    pthread_mutex_unlock(lock)
                }
            }
        }
    }
}
