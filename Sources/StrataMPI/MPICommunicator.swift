import CMPI
import Dispatch
import Foundation
import StrataCore

/// The MPI communicator: data-parallel training over `MPI_COMM_WORLD`. The only file that calls MPI.
///
/// Every call is checked (`MPI_ERRORS_RETURN`; a failure becomes an `MPIError` carrying `MPI_Error_string`), and
/// every collective is watched: one that waits longer than the timeout ends its rank with a message, and `mpirun`
/// ends the others, so a job never hangs. Get it with `MPICommunicator.automatic()`, which gives this communicator
/// when the process was started by `mpirun`/`srun` and `SingleProcess()` (no MPI call at all) otherwise.
///
/// MPI can be initialised once per process, so there is one world communicator per process: every call of
/// `automatic()` returns the same object. MPI is finalised when the process exits with status 0; a non-zero exit
/// of one rank ends every rank (`on_exit`), so a rank that gives up never leaves the others waiting.
public final class MPICommunicator: Communicator, @unchecked Sendable {
    public let rank: Int
    public let size: Int
    /// Ranks running on this node (from `MPI_Comm_split_type(MPI_COMM_TYPE_SHARED)`).
    public let ranksPerNode: Int
    /// Cores of this node (`sysconf(_SC_NPROCESSORS_ONLN)`), whatever the binding.
    public let coresPerNode: Int
    /// The host of every rank (gathered at start), for messages that name where a rank runs.
    public let hosts: RankHosts
    /// The OpenBLAS thread count in force and where it came from.
    public private(set) var blasThreads: BLASThreadPolicy

    private let world: MPI_Comm
    private let watchdog: Watchdog
    /// A duplicate of the world communicator for the exit handshake, so it never mixes with a pending collective.
    private let exitComm: MPI_Comm
    /// A duplicate of the world communicator for the collectives the progress thread starts: only that thread
    /// issues collectives on it, so they never interleave with the compute thread's on `world`.
    private let progressComm: MPI_Comm
    /// The compressed all-reduce's sums (`GradientCompression`): fp16 and bf16 additions that widen to float and
    /// round back, created at init and freed before `MPI_Finalize`.
    private let fp16Sum: MPI_Op?
    private let bf16Sum: MPI_Op?
    /// Whether MPI granted `MPI_THREAD_MULTIPLE` (the progress thread calls MPI while the compute thread does).
    public let threadMultiple: Bool
    /// The progress thread, started on the first collective handed to it (never in a one-rank run).
    private lazy var progress = ProgressThread(
        watchdog: watchdog,
        interval: ProcessInfo.processInfo.environment["STRATA_PROGRESS_INTERVAL_US"].flatMap(Double.init).map { max($0, 1) / 1e6 }
            ?? ProgressThread.defaultInterval)

    /// Seconds a collective may wait for the other ranks before the watchdog ends this rank
    /// (default 300, or `STRATA_MPI_TIMEOUT`).
    public var timeout: Double {
        get { watchdog.timeout }
        set { watchdog.timeout = newValue }
    }

    /// The default watchdog timeout, in seconds.
    public static let defaultTimeout = 300.0

    /// The MPI communicator when this process was started by `mpirun`/`srun` (even with one rank), else
    /// `SingleProcess()`, which never touches MPI.
    ///
    /// - Parameters:
    ///   - timeout: seconds a collective may wait before this rank gives up (default `STRATA_MPI_TIMEOUT` or 300).
    ///   - blasThreads: OpenBLAS threads per rank (default `STRATA_BLAS_THREADS`, `OPENBLAS_NUM_THREADS`, or
    ///     cores per node / ranks per node).
    public static func automatic(timeout: Double? = nil, blasThreads: Int? = nil) throws -> Communicator {
        guard launchedByMPI(ProcessInfo.processInfo.environment) else { return SingleProcess() }
        return try world(timeout: timeout, blasThreads: blasThreads)
    }

    /// The world communicator, initialising MPI on first use (also as a singleton without `mpirun`).
    public static func world(timeout: Double? = nil, blasThreads: Int? = nil) throws -> MPICommunicator {
        let c = try shared.get()
        if let timeout {
            guard timeout > 0 else {
                throw StrataError.invalidArgument("the MPI timeout must be positive, got \(timeout)", hint: "e.g. timeout: 300")
            }
            c.timeout = timeout
        }
        if let blasThreads {
            guard blasThreads > 0 else {
                throw StrataError.invalidArgument("blasThreads must be positive, got \(blasThreads)", hint: "e.g. blasThreads: 1")
            }
            c.setBLASThreads(blasThreads)
        }
        return c
    }

    /// True when a launcher started this process as an MPI rank (Open MPI's mpirun, PMIx or PMI launchers such as
    /// srun with an MPI plugin).
    public static func launchedByMPI(_ environment: [String: String]) -> Bool {
        ["OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_RANK", "PMI_SIZE"].contains { environment[$0] != nil }
    }

    /// Sets OpenBLAS threads for this rank (overrides the default policy); each run applies it when it starts.
    public func setBLASThreads(_ n: Int) {
        blasThreads = BLASThreadPolicy(coresPerNode: coresPerNode, ranksPerNode: ranksPerNode, environment: [:], requested: n)
    }

    /// The thread policy's count: `fit`, `evaluate` and `predict` set OpenBLAS to it and pass it to the layers.
    public var threadsPerRank: Int { blasThreads.threads }

    /// One per process: `MPI_Init_thread` may run only once.
    private static let shared = Result<MPICommunicator, Error> { try MPICommunicator() }

    private init() throws {
        let env = ProcessInfo.processInfo.environment
        let envRank = env["OMPI_COMM_WORLD_RANK"].flatMap(Int.init) ?? env["PMIX_RANK"].flatMap(Int.init) ?? -1
        var initialized: Int32 = 0
        MPI_Initialized(&initialized)
        var provided: Int32 = 0
        if initialized == 0 {
            // MULTIPLE, for the progress thread: Open MPI 4.1 grants it with ob1 over tcp and vader (shared memory).
            let rc = MPI_Init_thread(nil, nil, Int32(MPI_THREAD_MULTIPLE), &provided)
            guard rc == MPI_SUCCESS else {
                throw MPIError(call: "MPI_Init_thread", code: rc, message: MPICommunicator.errorString(rc), rank: envRank)
            }
            #if canImport(Glibc)
                on_exit({ status, _ in MPICommunicator.atExit(status: status) }, nil)
            #else
                atexit { MPICommunicator.atExit(status: 0) }
            #endif
        } else {
            MPI_Query_thread(&provided)
        }
        threadMultiple = provided >= Int32(MPI_THREAD_MULTIPLE)
        world = cmpi_comm_world()
        try MPICommunicator.check(MPI_Comm_set_errhandler(world, cmpi_errors_return()), "MPI_Comm_set_errhandler", rank: envRank)
        var r: Int32 = 0, s: Int32 = 0
        try MPICommunicator.check(MPI_Comm_rank(world, &r), "MPI_Comm_rank", rank: envRank)
        try MPICommunicator.check(MPI_Comm_size(world, &s), "MPI_Comm_size", rank: envRank)
        rank = Int(r)
        size = Int(s)
        var local = cmpi_comm_null()
        try MPICommunicator.check(
            MPI_Comm_split_type(world, cmpi_comm_type_shared(), r, cmpi_info_null(), &local),
            "MPI_Comm_split_type", rank: rank)
        var localSize: Int32 = 1
        try MPICommunicator.check(MPI_Comm_size(local, &localSize), "MPI_Comm_size", rank: rank)
        try MPICommunicator.check(MPI_Comm_free(&local), "MPI_Comm_free", rank: rank)
        ranksPerNode = Int(localSize)
        hosts = try MPICommunicator.gatherHosts(world, rank: rank, size: size)
        exitComm = try MPICommunicator.duplicate(world, rank: rank)
        progressComm = try MPICommunicator.duplicate(world, rank: rank)
        var ops = [cmpi_op_null(), cmpi_op_null()]
        for bf16 in 0..<2 { try MPICommunicator.check(cmpi_op_create_sum16(Int32(bf16), &ops[bf16]), "MPI_Op_create", rank: rank) }
        fp16Sum = ops[0]
        bf16Sum = ops[1]
        coresPerNode = max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
        blasThreads = BLASThreadPolicy(coresPerNode: coresPerNode, ranksPerNode: ranksPerNode, environment: env)
        // Lines from different ranks must not interleave mid-line, and must not be lost if a rank is killed.
        cmpi_stdout_line_buffered()
        var timeout = MPICommunicator.defaultTimeout
        if let s = env["STRATA_MPI_TIMEOUT"] {
            guard let t = Double(s), t > 0 else {
                throw StrataError.invalidArgument(
                    "STRATA_MPI_TIMEOUT must be a positive number of seconds, got '\(s)'",
                    hint: "e.g. STRATA_MPI_TIMEOUT=300")
            }
            timeout = t
        }
        watchdog = Watchdog(rank: rank, hosts: hosts, timeout: timeout)
    }

    /// `MPI_Comm_dup` (collective): a communicator whose collectives never match `comm`'s.
    private static func duplicate(_ comm: MPI_Comm, rank: Int) throws -> MPI_Comm {
        var dup = cmpi_comm_null()
        try check(MPI_Comm_dup(comm, &dup), "MPI_Comm_dup", rank: rank)
        guard let dup else { throw MPIError(call: "MPI_Comm_dup", code: 0, message: "returned no communicator", rank: rank) }
        return dup
    }

    /// Every rank's host name (at most 255 bytes each), by rank.
    private static func gatherHosts(_ world: MPI_Comm, rank: Int, size: Int) throws -> RankHosts {
        let width = 256
        var mine = [UInt8](repeating: 0, count: width)
        let name = Array(RankHosts.local.utf8.prefix(width - 1))
        mine.replaceSubrange(0..<name.count, with: name)
        var all = [UInt8](repeating: 0, count: width * size)
        try check(MPI_Allgather(&mine, Int32(width), cmpi_byte(), &all, Int32(width), cmpi_byte(), world), "MPI_Allgather", rank: rank)
        return RankHosts(
            (0..<size).map { r in String(decoding: all[r * width..<(r + 1) * width].prefix { $0 != 0 }, as: UTF8.self) })
    }

    /// At process exit. Status 0: finalise MPI (waiting for the other ranks, bounded by the watchdog). Any other
    /// status (the program caught an error and called `exit(1)` on this rank only, perhaps while the other ranks
    /// wait in a collective): end every rank now with that status, instead of waiting for ranks that never come.
    private static func atExit(status: Int32) {
        var initialized: Int32 = 0, finalized: Int32 = 0
        MPI_Initialized(&initialized)
        MPI_Finalized(&finalized)
        guard initialized != 0 && finalized == 0 else { return }
        fflush(nil)
        let comm = try? shared.get()
        if status != 0 {
            // Every rank exiting with an error together (the same pre-flight error on all ranks): finalise
            // quietly and let the launcher report the status. Otherwise the others are still working: end them.
            if let comm, comm.allRanksArrive(within: exitGrace) {
                MPI_Finalize()
                return
            }
            if let comm {
                FileHandle.standardError.write(
                    Data("strata: \(comm.place) exited with status \(status); ending every rank\n".utf8))
            }
            MPI_Abort(cmpi_comm_world(), status)
            return
        }
        comm?.freeOps()
        comm?.watchdog.enter("MPI_Finalize (at exit)")
        MPI_Finalize()
        comm?.watchdog.leave()
    }

    /// Frees the compression ops (at exit, before `MPI_Finalize`).
    private func freeOps() {
        for op in [fp16Sum, bf16Sum] {
            var o = op
            MPI_Op_free(&o)
        }
    }

    /// How long a rank exiting with an error waits for the other ranks to exit too before ending them.
    static let exitGrace = 1.0

    /// A non-blocking barrier on the private exit communicator, polled until `seconds` pass.
    private func allRanksArrive(within seconds: Double) -> Bool {
        var request: MPI_Request?
        guard MPI_Ibarrier(exitComm, &request) == MPI_SUCCESS else { return false }
        let deadline = DispatchTime.now().uptimeNanoseconds + UInt64(seconds * 1e9)
        var done: Int32 = 0
        while DispatchTime.now().uptimeNanoseconds < deadline {
            guard MPI_Test(&request, &done, cmpi_status_ignore()) == MPI_SUCCESS else { return false }
            if done != 0 { return true }
            usleep(1000)
        }
        return false
    }

    // MARK: Communicator

    /// Sums in pieces of at most `allReducePiece` floats: Open MPI's large-message algorithms allocate a temporary
    /// of about the message size (16 MB per rank for the VGG-like model's 32 MB gradient on 2 ranks), and 4 MiB
    /// pieces cap that at 2 MB for the same bandwidth.
    public func allReduceSum(_ buffer: Tensor) throws {
        try allReduceSum(buffer, piece: MPICommunicator.allReducePiece)
    }

    /// The tensor all-reduce in pieces of at most `piece` floats (`Int(Int32.max)`: one `MPI_Allreduce`, the bare
    /// reference of AllReduceBenchmark). Watched like every collective, so a stalled peer still ends the job.
    func allReduceSum(_ buffer: Tensor, piece: Int) throws {
        try chunks(buffer.count, limit: piece) { offset, n in
            try collective("MPI_Allreduce") {
                MPI_Allreduce(cmpi_in_place(), buffer.pointer + offset, n, cmpi_float(), cmpi_sum(), world)
            }
        }
    }

    /// `MPI_Iallreduce` in the same pieces as `allReduceSum(_:)` (so the same sums, bit for bit): returns at once;
    /// `test` advances it (Open MPI progresses non-blocking collectives inside MPI calls, so the trainer calls it
    /// between layers), `wait` blocks under the watchdog like every collective.
    public func startAllReduceSum(_ buffer: Tensor) throws -> PendingReduction {
        try startAllReduceSum(buffer, on: world)
    }

    /// With `background` (and several ranks, and `MPI_THREAD_MULTIPLE`), the progress thread starts and drives
    /// the all-reduce (`ProgressThread`): the same `MPI_Iallreduce` pieces, so the same sums bit for bit.
    public func startAllReduceSum(_ buffer: Tensor, background: Bool) throws -> PendingReduction {
        guard background && progressAvailable else { return try startAllReduceSum(buffer) }
        return progress.submit(call: "MPI_Allreduce") { [self] in try startAllReduceSum(buffer, on: progressComm) }
    }

    /// The bucket's values rounded into `staging` on this (the compute) thread, the 16-bit all-reduce started there
    /// or, with `background`, by the progress thread, in the same pieces as the float one; the sums are widened back
    /// into `buffer` once the reduction is seen complete (`CompressedReduction`). Two-term sums of the commutative
    /// op are the same on every rank, and Open MPI's all-reduce algorithms hand every rank one rank's bits.
    public func startAllReduceSum(
        _ buffer: Tensor, compression: GradientCompression, staging: Tensor, background: Bool
    ) throws -> PendingReduction {
        guard compression != .none && size > 1 else { return try startAllReduceSum(buffer, background: background) }
        precondition(staging.count >= (buffer.count + 1) / 2, "the staging holds two 16-bit values a float")
        CompressedReduction.round(
            buffer.pointer, into: staging.pointer, count: buffer.count, compression, lanes: CompressedReduction.lanesAvailable)
        let op = compression == .bf16 ? bf16Sum : fp16Sum
        let start = { [self] (comm: MPI_Comm) throws -> PendingReduction in
            let pending = MPIPendingReduction(self, buffers: [buffer, staging])
            let halves = UnsafeMutableRawPointer(staging.pointer)
            try chunks(buffer.count, limit: MPICommunicator.allReducePiece) { offset, n in
                var request: MPI_Request?
                try MPICommunicator.check(
                    MPI_Iallreduce(cmpi_in_place(), halves + 2 * offset, n, cmpi_uint16(), op, comm, &request), "MPI_Iallreduce",
                    rank: rank)
                pending.requests.append(request)
            }
            return pending
        }
        let inner =
            background && progressAvailable
            ? progress.submit(call: "MPI_Allreduce") { [progressComm] in try start(progressComm) } : try start(world)
        return CompressedReduction(inner, buffer: buffer, staging: staging, format: compression, lanes: CompressedReduction.lanesAvailable)
    }

    /// Whether collectives can be handed to the progress thread: several ranks, and MPI allows two threads in it.
    public var progressAvailable: Bool { size > 1 && threadMultiple }

    private func startAllReduceSum(_ buffer: Tensor, on comm: MPI_Comm) throws -> PendingReduction {
        let pending = MPIPendingReduction(self, buffers: [buffer])
        try chunks(buffer.count, limit: MPICommunicator.allReducePiece) { offset, n in
            var request: MPI_Request?
            try MPICommunicator.check(
                MPI_Iallreduce(cmpi_in_place(), buffer.pointer + offset, n, cmpi_float(), cmpi_sum(), comm, &request),
                "MPI_Iallreduce", rank: rank)
            pending.requests.append(request)
        }
        return pending
    }

    /// The requests of one started `startAllReduceSum` (its pieces) or `startReduceScatterSum`, and what MPI reads
    /// or writes until they complete (kept alive: the buffers and the receive counts).
    final class MPIPendingReduction: PendingReduction {
        unowned let comm: MPICommunicator
        let buffers: [Tensor]
        /// The collective the requests complete, as the watchdog's message names it.
        let call: String
        var requests: [MPI_Request?] = []
        /// `MPI_Ireduce_scatter`'s receive counts, which MPI may read until completion.
        var counts: UnsafeMutableBufferPointer<Int32>?

        init(_ comm: MPICommunicator, buffers: [Tensor], call: String = "MPI_Allreduce") {
            self.comm = comm
            self.buffers = buffers
            self.call = call
        }

        deinit { counts?.deallocate() }

        func test() throws -> Bool {
            var done: Int32 = 0
            let n = Int32(requests.count)
            try requests.withUnsafeMutableBufferPointer { r in
                try MPICommunicator.check(MPI_Testall(n, r.baseAddress, &done, cmpi_statuses_ignore()), "MPI_Testall", rank: comm.rank)
            }
            return done != 0
        }

        func wait() throws {
            let n = Int32(requests.count)
            try requests.withUnsafeMutableBufferPointer { r in
                // Named for what it completes: the watchdog's message reads "MPI_Allreduce has waited ...".
                try comm.collective(call) { MPI_Waitall(n, r.baseAddress, cmpi_statuses_ignore()) }
            }
        }
    }

    /// `MPI_Ireduce_scatter` of `buffer` (ZeRO-1's gradient exchange): returns at once, completed like
    /// `startAllReduceSum`'s requests (tested between layers, waited for under the watchdog).
    public func startReduceScatterSum(_ buffer: Tensor, counts: [Int], into: Tensor) throws -> PendingReduction {
        try startReduceScatterSum(buffer, counts: counts, into: into, on: world)
    }

    /// With `background`, on the progress thread (see `startAllReduceSum(_:background:)`).
    public func startReduceScatterSum(_ buffer: Tensor, counts: [Int], into: Tensor, background: Bool) throws -> PendingReduction {
        guard background && progressAvailable else { return try startReduceScatterSum(buffer, counts: counts, into: into) }
        return progress.submit(call: "MPI_Reduce_scatter") { [self] in
            try startReduceScatterSum(buffer, counts: counts, into: into, on: progressComm)
        }
    }

    private func startReduceScatterSum(_ buffer: Tensor, counts: [Int], into: Tensor, on comm: MPI_Comm) throws -> PendingReduction {
        precondition(counts.count == size && counts.reduce(0, +) == buffer.count && into.count == counts[rank])
        guard buffer.count <= Int(Int32.max) else {
            throw MPIError(call: "MPI_Ireduce_scatter", code: 0, message: "\(buffer.count) values exceed MPI's 32-bit count", rank: rank)
        }
        let pending = MPIPendingReduction(self, buffers: [buffer, into], call: "MPI_Reduce_scatter")
        let c = UnsafeMutableBufferPointer<Int32>.allocate(capacity: size)
        _ = c.initialize(from: counts.map { Int32($0) })
        pending.counts = c
        var request: MPI_Request?
        try MPICommunicator.check(
            MPI_Ireduce_scatter(buffer.pointer, into.pointer, c.baseAddress, cmpi_float(), cmpi_sum(), comm, &request),
            "MPI_Ireduce_scatter", rank: rank)
        pending.requests.append(request)
        return pending
    }

    /// `MPI_Allgatherv` in place (ZeRO-1's weight exchange), under the watchdog.
    public func allGather(_ buffer: Tensor, counts: [Int]) throws {
        precondition(counts.count == size && counts.reduce(0, +) <= buffer.count)
        guard counts.reduce(0, +) <= Int(Int32.max) else {
            throw MPIError(call: "MPI_Allgatherv", code: 0, message: "\(buffer.count) values exceed MPI's 32-bit count", rank: rank)
        }
        var c = counts.map { Int32($0) }
        var d = [Int32](repeating: 0, count: size)
        for r in 1..<max(size, 1) { d[r] = d[r - 1] + c[r - 1] }
        try c.withUnsafeMutableBufferPointer { cp in
            try d.withUnsafeMutableBufferPointer { dp in
                try collective("MPI_Allgatherv") {
                    MPI_Allgatherv(
                        cmpi_in_place(), 0, cmpi_float(), buffer.pointer, cp.baseAddress, dp.baseAddress, cmpi_float(), world)
                }
            }
        }
    }

    /// `MPI_Iallgatherv` in place (ZeRO-1's weight gather in pieces, `WeightGather`): returns at once, completed
    /// like `startAllReduceSum`'s requests; with `background`, on the progress thread. The same bytes as
    /// `allGather(_:counts:)`.
    public func startAllGather(_ buffer: Tensor, counts: [Int], background: Bool) throws -> PendingReduction {
        guard background && progressAvailable else { return try startAllGather(buffer, counts: counts, on: world) }
        return progress.submit(call: "MPI_Allgatherv") { [self] in try startAllGather(buffer, counts: counts, on: progressComm) }
    }

    private func startAllGather(_ buffer: Tensor, counts: [Int], on comm: MPI_Comm) throws -> PendingReduction {
        precondition(counts.count == size && counts.reduce(0, +) <= buffer.count)
        guard counts.reduce(0, +) <= Int(Int32.max) else {
            throw MPIError(call: "MPI_Iallgatherv", code: 0, message: "\(buffer.count) values exceed MPI's 32-bit count", rank: rank)
        }
        let pending = MPIPendingReduction(self, buffers: [buffer], call: "MPI_Allgatherv")
        // Counts then displacements, which MPI may read until completion.
        let c = UnsafeMutableBufferPointer<Int32>.allocate(capacity: 2 * size)
        var offset = 0
        for (r, n) in counts.enumerated() {
            c[r] = Int32(n)
            c[size + r] = Int32(offset)
            offset += n
        }
        pending.counts = c
        var request: MPI_Request?
        try MPICommunicator.check(
            MPI_Iallgatherv(
                cmpi_in_place(), 0, cmpi_float(), buffer.pointer, c.baseAddress, c.baseAddress! + size, cmpi_float(), comm,
                &request),
            "MPI_Iallgatherv", rank: rank)
        pending.requests.append(request)
        return pending
    }

    public func allReduceSum(_ values: inout [Double]) throws {
        let count = values.count
        try values.withUnsafeMutableBufferPointer { b in
            guard let base = b.baseAddress else { return }
            try chunks(count) { offset, n in
                try collective("MPI_Allreduce") { MPI_Allreduce(cmpi_in_place(), base + offset, n, cmpi_double(), cmpi_sum(), world) }
            }
        }
    }

    public func broadcast(_ buffer: Tensor, root: Int) throws {
        try chunks(buffer.count) { offset, n in
            try collective("MPI_Bcast") { MPI_Bcast(buffer.pointer + offset, n, cmpi_float(), Int32(root), world) }
        }
    }

    public func broadcast(_ values: inout [Double], root: Int) throws {
        let count = values.count
        try values.withUnsafeMutableBufferPointer { b in
            guard let base = b.baseAddress else { return }
            try chunks(count) { offset, n in
                try collective("MPI_Bcast") { MPI_Bcast(base + offset, n, cmpi_double(), Int32(root), world) }
            }
        }
    }

    public func broadcast(_ bytes: inout [UInt8], root: Int) throws {
        var length = Int64(bytes.count)
        try collective("MPI_Bcast") { MPI_Bcast(&length, 1, cmpi_int64(), Int32(root), world) }
        if rank != root { bytes = [UInt8](repeating: 0, count: Int(length)) }
        let count = bytes.count
        try bytes.withUnsafeMutableBufferPointer { b in
            guard let base = b.baseAddress else { return }
            try chunks(count) { offset, n in
                try collective("MPI_Bcast") { MPI_Bcast(base + offset, n, cmpi_byte(), Int32(root), world) }
            }
        }
    }

    public func allGatherRows(_ local: Tensor) throws -> Tensor {
        var storage = TensorStorage(count: 0)
        return try allGatherRows(local, reusing: &storage)
    }

    public func allGatherRows(_ local: Tensor, reusing storage: inout TensorStorage) throws -> Tensor {
        var mine = [Int64(local.shape.first ?? 0), Int64(local.rowSize)]
        var all = [Int64](repeating: 0, count: 2 * size)
        try mine.withUnsafeMutableBufferPointer { m in
            try all.withUnsafeMutableBufferPointer { a in
                try collective("MPI_Allgather") {
                    MPI_Allgather(m.baseAddress, 2, cmpi_int64(), a.baseAddress, 2, cmpi_int64(), world)
                }
            }
        }
        let rowSize = Int(mine[1])
        for r in 0..<size where Int(all[2 * r + 1]) != rowSize {
            throw MPIError(
                call: "MPI_Allgather", code: 0, message: "rank \(r) gathers rows of \(all[2 * r + 1]) values, this rank rows of \(rowSize)",
                rank: rank)
        }
        return try allGatherRows(local, rowCounts: (0..<size).map { Int(all[2 * $0]) }, reusing: &storage)
    }

    /// `MPI_Allgatherv` of rows whose counts every rank knows: one collective.
    public func allGatherRows(_ local: Tensor, rowCounts rows: [Int], reusing storage: inout TensorStorage) throws -> Tensor {
        try checkRowCounts(rows, local: local)
        let rowSize = local.rowSize
        let total = rows.reduce(0, +) * rowSize
        guard total <= Int(Int32.max) else {
            throw MPIError(call: "MPI_Allgatherv", code: 0, message: "\(total) values exceed MPI's 32-bit count", rank: rank)
        }
        var counts = rows.map { Int32($0 * rowSize) }
        var displs = [Int32](repeating: 0, count: size)
        for r in 1..<max(size, 1) { displs[r] = displs[r - 1] + counts[r - 1] }
        // Every gathered scalar is written by MPI_Allgatherv: the storage is reused as it is.
        if storage.capacity < total { storage = TensorStorage(count: total) }
        let out = Tensor(shape: [rows.reduce(0, +)] + Array(local.shape.dropFirst()), storage: storage)
        try counts.withUnsafeMutableBufferPointer { c in
            try displs.withUnsafeMutableBufferPointer { d in
                try collective("MPI_Allgatherv") {
                    MPI_Allgatherv(
                        local.pointer, Int32(local.count), cmpi_float(), out.pointer, c.baseAddress, d.baseAddress,
                        cmpi_float(), world)
                }
            }
        }
        return out
    }

    /// One bare collective over all of `buffer` (N floats, N divisible by the rank count), in one MPI call and in
    /// place, for the cost model's measurements (strata-mpi-check `collectives`): `MPI_Allreduce` of N,
    /// `MPI_Reduce_scatter_block` of N (each rank keeps its N/p sums) or `MPI_Allgather` of N/p per rank (ZeRO-1's
    /// two halves). Training never calls it.
    public func bareCollective(_ op: BareCollective, _ buffer: Tensor) throws {
        let n = buffer.count, block = Int32(buffer.count / size)
        guard n % size == 0, n <= Int(Int32.max) else {
            throw StrataError.invalidArgument(
                "\(n) floats cannot be split into \(size) equal blocks of at most 2^31", hint: "pass a multiple of the rank count")
        }
        switch op {
        case .allReduce:
            try collective("MPI_Allreduce") { MPI_Allreduce(cmpi_in_place(), buffer.pointer, Int32(n), cmpi_float(), cmpi_sum(), world) }
        case .reduceScatter:
            try collective("MPI_Reduce_scatter_block") {
                MPI_Reduce_scatter_block(cmpi_in_place(), buffer.pointer, block, cmpi_float(), cmpi_sum(), world)
            }
        case .allGather:
            try collective("MPI_Allgather") {
                MPI_Allgather(cmpi_in_place(), block, cmpi_float(), buffer.pointer, block, cmpi_float(), world)
            }
        }
    }

    /// "rank 0 of 2 on HOST": where this rank runs, for messages.
    public var place: String { hosts.place(of: rank) }

    public func barrier() throws {
        try collective("MPI_Barrier") { MPI_Barrier(world) }
    }

    /// Ends every rank with `message`; the job exits with `code`.
    ///
    /// When every rank fails at the same point (the same error everywhere) they meet within `abortGrace`: rank 0
    /// alone prints and every rank exits cleanly. Otherwise this rank prints and `MPI_Abort` ends the others.
    public func abort(_ message: String, code: Int32) -> Never {
        fflush(nil)
        if size > 1 && allRanksArrive(within: MPICommunicator.abortGrace) {
            if rank == 0 { FileHandle.standardError.write(Data((message + "\n").utf8)) }
            MPI_Finalize()
            exit(code)
        }
        FileHandle.standardError.write(Data((message + "\n").utf8))
        fflush(nil)
        MPI_Abort(world, code)
        _exit(code)
    }

    /// How long a failing rank waits to see whether every rank is failing too (see `abort`).
    static let abortGrace = 0.5

    // MARK: checking

    /// Runs one collective under the watchdog and checks its return code.
    fileprivate func collective(_ call: String, _ body: () -> Int32) throws {
        watchdog.enter(call)
        let rc = body()
        watchdog.leave()
        try MPICommunicator.check(rc, call, rank: rank)
    }

    /// Floats per `MPI_Allreduce` of a tensor (see `allReduceSum(_:)`).
    static let allReducePiece = 1 << 20

    /// Splits `count` elements into pieces of at most `limit` (by default, what MPI's 32-bit counts can carry).
    fileprivate func chunks(_ count: Int, limit: Int = Int(Int32.max), _ body: (Int, Int32) throws -> Void) throws {
        var offset = 0
        repeat {
            let n = min(limit, count - offset)
            try body(offset, Int32(n))
            offset += n
        } while offset < count
    }

    fileprivate static func check(_ rc: Int32, _ call: String, rank: Int) throws {
        guard rc != MPI_SUCCESS else { return }
        throw MPIError(call: call, code: rc, message: errorString(rc), rank: rank)
    }

    private static func errorString(_ rc: Int32) -> String {
        var buffer = [CChar](repeating: 0, count: Int(MPI_MAX_ERROR_STRING) + 1)
        var length: Int32 = 0
        guard MPI_Error_string(rc, &buffer, &length) == MPI_SUCCESS else { return "unknown MPI error" }
        return String(decoding: buffer.prefix(Int(length)).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
