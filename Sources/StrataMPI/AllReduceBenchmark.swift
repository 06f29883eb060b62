import Dispatch
import StrataCore

/// A communicator that times the tensor all-reduce (the per-step gradient sum) of the one it wraps and forwards
/// everything else: benchmarks pass it to `fit` (strata-bench, strata-mpi-check); training never needs it.
public final class AllReduceTimer: Communicator {
    public let base: Communicator
    /// Calls of the tensor all-reduce and the seconds spent in them.
    public private(set) var calls = 0
    public private(set) var seconds = 0.0
    /// The monotonic-clock nanoseconds at which each call started and ended, to tell waiting for the last rank
    /// from the collective itself.
    public private(set) var log: [(start: UInt64, end: UInt64)] = []

    /// The calling thread's CPU seconds, read around every timed call when set (strata-bench passes
    /// `CLOCK_THREAD_CPUTIME_ID`): `cpuSeconds` is then the compute thread's CPU inside the collectives (spinning in
    /// their waits included), which the cost model tells apart from its CPU outside them.
    public var cpuClock: (() -> Double)?
    /// The calling thread's CPU seconds inside the timed calls (all of them: gradient, small, gather), with `cpuClock`.
    public private(set) var cpuSeconds = 0.0
    /// Wall seconds inside the same calls.
    public var collectiveSeconds: Double { seconds + smallSeconds + gatherSeconds }

    public init(_ base: Communicator) { self.base = base }

    /// Runs `body`, adding the calling thread's CPU seconds in it to `cpuSeconds` (with `cpuClock`).
    fileprivate func onCPU<T>(_ body: () throws -> T) rethrows -> T {
        guard let clock = cpuClock else { return try body() }
        let start = clock()
        defer { cpuSeconds += clock() - start }
        return try body()
    }

    public var rank: Int { base.rank }
    public var size: Int { base.size }
    public var threadsPerRank: Int { base.threadsPerRank }
    public var place: String { base.place }
    public var hostCount: Int { base.hostCount }
    public func allReduceSum(_ buffer: Tensor) throws {
        let start = DispatchTime.now().uptimeNanoseconds
        try onCPU { try base.allReduceSum(buffer) }
        let end = DispatchTime.now().uptimeNanoseconds
        calls += 1
        seconds += Double(end - start) / 1e9
        log.append((start, end))
    }
    /// A bucket's all-reduce: the time training waits for it is what counts (starting it, and its `wait`), so a
    /// bucket hidden behind backward costs almost nothing here; each `wait` is logged.
    public func startAllReduceSum(_ buffer: Tensor) throws -> PendingReduction {
        try startAllReduceSum(buffer, background: false)
    }

    public func startAllReduceSum(_ buffer: Tensor, background: Bool) throws -> PendingReduction {
        try timedStart { try base.startAllReduceSum(buffer, background: background) }
    }

    /// A compressed bucket's all-reduce (`GradientCompression`), timed as a bucket's: its rounding in the start,
    /// its widening in the `wait`.
    public func startAllReduceSum(
        _ buffer: Tensor, compression: GradientCompression, staging: Tensor, background: Bool
    ) throws -> PendingReduction {
        try timedStart { try base.startAllReduceSum(buffer, compression: compression, staging: staging, background: background) }
    }

    /// ZeRO-1's bucket reduce-scatter, timed as a bucket's all-reduce.
    public func startReduceScatterSum(_ buffer: Tensor, counts: [Int], into: Tensor) throws -> PendingReduction {
        try startReduceScatterSum(buffer, counts: counts, into: into, background: false)
    }

    public func startReduceScatterSum(_ buffer: Tensor, counts: [Int], into: Tensor, background: Bool) throws -> PendingReduction {
        try timedStart { try base.startReduceScatterSum(buffer, counts: counts, into: into, background: background) }
    }

    /// A started reduction, its start timed and its `wait` logged.
    private func timedStart(_ start: () throws -> PendingReduction) throws -> PendingReduction {
        let begin = DispatchTime.now().uptimeNanoseconds
        let pending = try onCPU(start)
        seconds += Double(DispatchTime.now().uptimeNanoseconds - begin) / 1e9
        calls += 1
        return Timed(pending, timer: self)
    }

    /// ZeRO-1's all-gather of the updated weights: its calls and seconds.
    public private(set) var gatherCalls = 0
    public private(set) var gatherSeconds = 0.0
    public func allGather(_ buffer: Tensor, counts: [Int]) throws {
        let start = DispatchTime.now().uptimeNanoseconds
        try onCPU { try base.allGather(buffer, counts: counts) }
        gatherCalls += 1
        gatherSeconds += Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    }

    /// A piece of ZeRO-1's overlapped weight gather: starting it and waiting for it count as gather time (what the
    /// next forward waits), one call per piece.
    public func startAllGather(_ buffer: Tensor, counts: [Int], background: Bool) throws -> PendingReduction {
        let begin = DispatchTime.now().uptimeNanoseconds
        let pending = try onCPU { try base.startAllGather(buffer, counts: counts, background: background) }
        gatherCalls += 1
        gatherSeconds += Double(DispatchTime.now().uptimeNanoseconds - begin) / 1e9
        return Timed(pending, timer: self, gather: true)
    }

    private final class Timed: PendingReduction {
        let base: PendingReduction
        unowned let timer: AllReduceTimer
        /// A weight-gather piece (its wait counts as gather time, not all-reduce time).
        let gather: Bool
        init(_ base: PendingReduction, timer: AllReduceTimer, gather: Bool = false) {
            self.base = base
            self.timer = timer
            self.gather = gather
        }
        func test() throws -> Bool { try base.test() }
        func wait() throws {
            let start = DispatchTime.now().uptimeNanoseconds
            try timer.onCPU { try base.wait() }
            let end = DispatchTime.now().uptimeNanoseconds
            if gather {
                timer.gatherSeconds += Double(end - start) / 1e9
                return
            }
            timer.seconds += Double(end - start) / 1e9
            timer.log.append((start, end))
        }
    }

    /// Calls of the small Double all-reduce (BatchNormalization's batch statistics, plus a few per epoch for the
    /// figures and flags) and the seconds spent in them.
    public private(set) var smallCalls = 0
    public private(set) var smallSeconds = 0.0
    public func allReduceSum(_ values: inout [Double]) throws {
        let start = DispatchTime.now().uptimeNanoseconds
        try onCPU { try base.allReduceSum(&values) }
        smallCalls += 1
        smallSeconds += Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    }
    public func broadcast(_ buffer: Tensor, root: Int) throws { try base.broadcast(buffer, root: root) }
    public func broadcast(_ values: inout [Double], root: Int) throws { try base.broadcast(&values, root: root) }
    public func broadcast(_ bytes: inout [UInt8], root: Int) throws { try base.broadcast(&bytes, root: root) }
    public func allGatherRows(_ local: Tensor) throws -> Tensor { try base.allGatherRows(local) }
    public func allGatherRows(_ local: Tensor, reusing storage: inout TensorStorage) throws -> Tensor {
        try base.allGatherRows(local, reusing: &storage)
    }
    public func allGatherRows(_ local: Tensor, rowCounts: [Int], reusing storage: inout TensorStorage) throws -> Tensor {
        try base.allGatherRows(local, rowCounts: rowCounts, reusing: &storage)
    }
    public func barrier() throws { try base.barrier() }
    public func abort(_ message: String, code: Int32) -> Never { base.abort(message, code: code) }

    /// Forgets the calls so far (e.g. a warm-up run's).
    public func reset() {
        calls = 0
        seconds = 0
        log = []
        gatherCalls = 0
        gatherSeconds = 0
        cpuSeconds = 0
    }
}

/// The gradient all-reduce as training saw it, next to one bare `MPI_Allreduce` of the same floats: the issue's
/// "all-reduce per step within 1.1x of a plain MPI_Allreduce of the same bytes". The one timing both strata-bench
/// and strata-mpi-check report.
public struct AllReduceBenchmark {
    /// Floats per all-reduce (the step buffer: gradients and the step's sums) and calls during training.
    public let floats: Int
    public let calls: Int
    /// A rank's mean seconds in the step's all-reduce, waiting for the slower rank included.
    public let stepWait: Double
    /// Medians, from the last rank's arrival to the last rank's return (the ranks of one node share the
    /// monotonic clock): training's calls; bare `MPI_Allreduce` calls after a barrier; the same in
    /// `allReduceSum`'s 4 MiB pieces; bare calls with the caches filled by other data first (as after backward).
    public let step: Double
    public let plain: Double
    public let pieces: Double
    public let cold: Double

    /// Measures after a run through `timer` on `mpi`: `repeats` calls of each reference (each after a barrier).
    /// Nil on one rank. Collective: every rank calls it.
    public init?(_ timer: AllReduceTimer, _ mpi: MPICommunicator, floats: Int, repeats: Int = 30) throws {
        guard mpi.size > 1, floats > 0 else { return nil }
        self.floats = floats
        calls = timer.calls
        stepWait = timer.seconds / Double(max(timer.calls, 1))
        step = Self.median(try Self.collectiveSeconds(mpi, timer.log))
        let buffer = Tensor(zeros: [floats])
        func timed(prepare: (Int) -> Void = { _ in }, _ call: () throws -> Void) throws -> Double {
            var log: [(start: UInt64, end: UInt64)] = []
            for i in 0..<repeats {
                prepare(i)
                try mpi.barrier()
                let t0 = DispatchTime.now().uptimeNanoseconds
                try call()
                log.append((t0, DispatchTime.now().uptimeNanoseconds))
            }
            return Self.median(try Self.collectiveSeconds(mpi, log))
        }
        plain = try timed { try mpi.allReduceSum(buffer, piece: Int(Int32.max)) }
        pieces = try timed { try mpi.allReduceSum(buffer) }
        let evict = Tensor(zeros: [16 << 20])  // 64 MB written before each call
        cold = try timed(prepare: { evict.fill(Float($0)) }) { try mpi.allReduceSum(buffer, piece: Int(Int32.max)) }
    }

    /// Per call: the latest return minus the latest start over the ranks, in seconds (empty when the ranks logged
    /// different numbers of calls).
    static func collectiveSeconds(_ comm: Communicator, _ log: [(start: UInt64, end: UInt64)]) throws -> [Double] {
        let n = log.count, p = comm.size
        var counts = [Double(n)]
        try comm.allReduceSum(&counts)
        guard counts[0] == Double(n * p), n > 0 else { return [] }
        var starts = [Double](repeating: 0, count: n * p), ends = starts
        for (k, e) in log.enumerated() {
            starts[comm.rank * n + k] = Double(e.start)
            ends[comm.rank * n + k] = Double(e.end)
        }
        try comm.allReduceSum(&starts)
        try comm.allReduceSum(&ends)
        return (0..<n).map { k in
            let lastStart = (0..<p).map { starts[$0 * n + k] }.max()!, lastEnd = (0..<p).map { ends[$0 * n + k] }.max()!
            return (lastEnd - lastStart) * 1e-9
        }
    }

    public static func median(_ v: [Double]) -> Double {
        guard !v.isEmpty else { return .nan }
        let s = v.sorted()
        return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
    }
}

/// The collectives the cost model measures (`MPICommunicator.bareCollective`): data-parallel training's all-reduce
/// and ZeRO-1's reduce-scatter of the gradients plus all-gather of the weights. Raw values name them in
/// strata-mpi-check's `COLLECTIVE` lines.
public enum BareCollective: String, CaseIterable, Sendable {
    case allReduce = "allreduce"
    case reduceScatter = "reduce_scatter"
    case allGather = "allgather"
}
