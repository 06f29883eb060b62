import Foundation

/// The collective operations data-parallel training needs. `SingleProcess` is the ordinary path; StrataMPI's
/// `MPICommunicator` is the distributed one. Training code never asks `size > 1`: it always calls these.
public protocol Communicator: AnyObject {
    var rank: Int { get }
    var size: Int { get }
    /// In-place elementwise sum over all ranks.
    func allReduceSum(_ buffer: Tensor) throws
    /// Starts the in-place sum of `buffer` over all ranks and returns at once; the sums are in `buffer` once the
    /// returned reduction completes. Every rank starts the same reductions in the same order. The default (in
    /// PendingReduction.swift) sums at once with `allReduceSum(_:)`.
    func startAllReduceSum(_ buffer: Tensor) throws -> PendingReduction
    /// Starts the sum of `buffer` over all ranks, of which rank r receives only its part, the `counts[r]` scalars
    /// after the earlier ranks' parts, into `into` (`counts[rank]` scalars); `buffer` is left as it was. ZeRO-1's
    /// gradient exchange (`OptimizerShard`). The default (ShardedCollectives.swift) all-reduces a copy.
    func startReduceScatterSum(_ buffer: Tensor, counts: [Int], into: Tensor) throws -> PendingReduction
    /// `startAllReduceSum(_:)` whose transfer, with `background`, a communication thread drives while the caller
    /// computes (`MPICommunicator`'s progress thread); the same sums. The default ignores `background`.
    func startAllReduceSum(_ buffer: Tensor, background: Bool) throws -> PendingReduction
    /// `startAllReduceSum(_:background:)` with the values travelling in a 16-bit `compression` format
    /// (`GradientCompression`): rounded into `staging` (at least `(buffer.count + 1) / 2` floats, untouched by the
    /// caller until the reduction completes), summed there, and widened back into `buffer` by the reduction's
    /// `wait`. The default (GradientCompression.swift) handles `none` and one process.
    func startAllReduceSum(_ buffer: Tensor, compression: GradientCompression, staging: Tensor, background: Bool) throws
        -> PendingReduction
    /// `startReduceScatterSum(_:counts:into:)`, driven by the communication thread with `background`.
    func startReduceScatterSum(_ buffer: Tensor, counts: [Int], into: Tensor, background: Bool) throws -> PendingReduction
    /// In place: every rank's copy of rank r's part (the `counts[r]` scalars after the earlier ranks' parts) becomes
    /// rank r's. ZeRO-1's weight exchange after each rank updated its part.
    func allGather(_ buffer: Tensor, counts: [Int]) throws
    /// In-place elementwise sum over all ranks (exact epoch sums, error flags).
    func allReduceSum(_ values: inout [Double]) throws
    /// Overwrites `buffer` on every rank with rank `root`'s.
    func broadcast(_ buffer: Tensor, root: Int) throws
    /// Overwrites `values` on every rank with rank `root`'s (same count on every rank).
    func broadcast(_ values: inout [Double], root: Int) throws
    /// Rank `root`'s bytes on every rank (lengths may differ before the call).
    func broadcast(_ bytes: inout [UInt8], root: Int) throws
    /// Concatenates every rank's rows (equal row counts) in rank order, on every rank.
    func allGatherRows(_ local: Tensor) throws -> Tensor
    func barrier() throws
    /// Ends every rank at once with `message` (MPI_Abort under MPI; exit on one process).
    func abort(_ message: String, code: Int32) -> Never
    /// OpenBLAS threads each rank should use (MPICommunicator: cores per node / ranks per node, or the override).
    /// A run applies it when it starts and passes it to the layers (`LayerContext.threads`).
    var threadsPerRank: Int { get }
    /// This rank as messages name it: "rank 0 of 2", with its host under MPI ("rank 0 of 2 on node1").
    var place: String { get }
    /// How many hosts the ranks run on (1: every rank on this machine, talking through shared memory). The default
    /// gradient path depends on it (`GradientCommunication.resolved(for:)`).
    var hostCount: Int { get }
    /// `allGatherRows` into `storage`, replaced by a larger allocation only when the gathered rows do not fit: the
    /// result is a view on it, so a caller that gathers every step (`SparseRowExchange`) stops allocating once its
    /// storage has grown to the largest step's rows.
    func allGatherRows(_ local: Tensor, reusing storage: inout TensorStorage) throws -> Tensor
    /// `allGatherRows(_:reusing:)` when every rank knows how many rows each rank sends (`rowCounts`, rank order, the
    /// same on every rank): one collective, without exchanging the counts first (`SparseRowExchange` learns them
    /// in its step's first gather).
    func allGatherRows(_ local: Tensor, rowCounts: [Int], reusing storage: inout TensorStorage) throws -> Tensor
    /// Starts `allGather(_:counts:)` of `buffer` and returns at once: every rank's part is in `buffer` once the
    /// returned reduction completes; until then the other ranks' parts may hold anything. With `background`, the
    /// communication thread drives it. ZeRO-1's weight gather overlapped with the next forward (`WeightGather`).
    /// The default (ShardedCollectives.swift) gathers at once with `allGather(_:counts:)`.
    func startAllGather(_ buffer: Tensor, counts: [Int], background: Bool) throws -> PendingReduction
}

extension Communicator {
    /// One process: the threads OpenBLAS is set to (its default, `OPENBLAS_NUM_THREADS`, or `BLAS.threads = n`).
    public var threadsPerRank: Int { BLAS.threads }

    public var place: String { "rank \(rank) of \(size)" }

    /// One host unless the communicator knows better (`MPICommunicator` gathers every rank's host).
    public var hostCount: Int { 1 }

    /// Rank `root`'s string on every rank.
    public func broadcast(_ text: String, root: Int = 0) throws -> String {
        var bytes = Array(text.utf8)
        try broadcast(&bytes, root: root)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Checks that every rank holds the same `value` for `what` (model config, dataset sizes, seed...), before
    /// the first step; a mismatch is one clear error on every rank instead of a hang or silent divergence.
    public func verifyAgreement(_ value: String, what: String) throws {
        let root = try broadcast(value, root: 0)
        var flags = [Double](repeating: 0, count: size)
        if root != value { flags[rank] = 1 }
        try allReduceSum(&flags)
        if let bad = flags.firstIndex(where: { $0 != 0 }) {
            let theirs = try broadcast(value, root: bad)
            throw StrataError.distributed(
                rank: bad,
                "its \(what) differs from rank 0's (\(Self.difference(root, theirs, rank: bad))); every rank must run the same model, data and settings"
            )
        }
    }

    /// Where two fingerprints first differ, as a short excerpt of each (for agreement errors).
    static func difference(_ a: String, _ b: String, rank: Int) -> String {
        let x = Array(a), y = Array(b)
        var i = 0
        while i < x.count && i < y.count && x[i] == y[i] { i += 1 }
        let from = max(0, i - 30)
        func excerpt(_ s: [Character]) -> String {
            (from > 0 ? "..." : "") + String(s[min(from, s.count)..<min(s.count, i + 50)]) + (i + 50 < s.count ? "..." : "")
        }
        return "rank 0 has \"\(excerpt(x))\", rank \(rank) has \"\(excerpt(y))\""
    }

    /// Sums one flag over ranks: true on every rank if any rank raised it (a global decision, never a hang).
    public func any(_ flag: Bool) throws -> Bool {
        var v = [flag ? 1.0 : 0.0]
        try allReduceSum(&v)
        return v[0] > 0
    }

    /// Runs `body` on every rank; if it fails on any rank, every rank throws the same error (naming the rank).
    func agreeOnErrors(_ body: () throws -> Void) throws {
        var failure: Error?
        do { try body() } catch { failure = error }
        var flags = [Double](repeating: 0, count: size)
        if failure != nil { flags[rank] = 1 }
        try allReduceSum(&flags)
        guard let bad = flags.firstIndex(where: { $0 != 0 }) else { return }
        // Every rank, the failing one included, joins the broadcast of its message (else the others hang in it).
        let text = try broadcast(failure.map { ($0 as? LocalizedError)?.errorDescription ?? "\($0)" } ?? "", root: bad)
        // A rank that failed the same way throws its own error (front ends may reword it, e.g. the CLI's flags).
        if let failure, bad == rank || (failure as? LocalizedError)?.errorDescription == text { throw failure }
        throw StrataError.distributed(rank: bad, text)
    }

    /// An error during a run on one rank: on one process it is thrown to the caller; under several ranks it ends
    /// every rank at once with one message naming this rank (never a hang waiting in a collective).
    func failAllRanks(_ error: Error) throws -> Never {
        if size == 1 { throw error }
        let text = (error as? LocalizedError)?.errorDescription ?? "\(error)"
        abort("strata: \(place) failed: \(text)", code: 1)
    }
}

/// One process: every collective is the identity. The default for `fit`.
public final class SingleProcess: Communicator {
    public init() {}
    public var rank: Int { 0 }
    public var size: Int { 1 }
    public func allReduceSum(_ buffer: Tensor) throws {}
    public func allReduceSum(_ values: inout [Double]) throws {}
    public func broadcast(_ buffer: Tensor, root: Int) throws {}
    public func broadcast(_ values: inout [Double], root: Int) throws {}
    public func broadcast(_ bytes: inout [UInt8], root: Int) throws {}
    public func allGatherRows(_ local: Tensor) throws -> Tensor { local }
    public func barrier() throws {}
    public func abort(_ message: String, code: Int32) -> Never {
        FileHandle.standardError.write(Data((message + "\n").utf8))
        exit(code)
    }

    /// True if the environment says this process is one of several launched ranks (mpirun, srun): then a
    /// one-process run would silently be p copies of the same job.
    public static var launchedAsOneOfSeveralRanks: Int? {
        let env = ProcessInfo.processInfo.environment
        for key in ["OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_SIZE", "MPI_LOCALNRANKS"] {
            if let s = env[key], let n = Int(s), n > 1 { return n }
        }
        return nil
    }
}

extension Communicator {
    /// Communicators that allocate the gathered rows anyway (one process, test doubles) gather as `allGatherRows`.
    public func allGatherRows(_ local: Tensor, reusing storage: inout TensorStorage) throws -> Tensor {
        try allGatherRows(local)
    }

    /// Communicators without a counted gather exchange the counts anyway (the same rows arrive), and check what
    /// arrived against `rowCounts`.
    public func allGatherRows(_ local: Tensor, rowCounts: [Int], reusing storage: inout TensorStorage) throws -> Tensor {
        try checkRowCounts(rowCounts, local: local)
        let all = try allGatherRows(local, reusing: &storage)
        let arrived = all.shape.first ?? 0, expected = rowCounts.reduce(0, +)
        guard arrived == expected else {
            throw StrataError.invalidArgument(
                "allGatherRows: the ranks sent \(arrived) rows in all but rowCounts \(rowCounts) adds up to \(expected) (on \(place))",
                hint: Self.rowCountsHint)
        }
        return all
    }

    /// Checks `allGatherRows(_:rowCounts:reusing:)`'s counts on this rank before the collective: one per rank, and
    /// this rank's the rows it sends. A wrong count would make the ranks' gathers disagree (a hang or a garbled
    /// result), so it is an error thrown on the rank that sees it (a run then ends every rank, `failAllRanks`).
    package func checkRowCounts(_ rowCounts: [Int], local: Tensor) throws {
        let rows = local.shape.first ?? 0
        if rowCounts.count != size {
            throw StrataError.invalidArgument(
                "allGatherRows: rowCounts has \(rowCounts.count) counts (\(rowCounts)) for \(size) ranks (on \(place))",
                hint: Self.rowCountsHint)
        }
        if rowCounts[rank] != rows {
            throw StrataError.invalidArgument(
                "allGatherRows: rowCounts \(rowCounts) says rank \(rank) sends \(rowCounts[rank]) rows, but it sends \(rows) (on \(place))",
                hint: Self.rowCountsHint)
        }
        if let bad = rowCounts.firstIndex(where: { $0 < 0 }) {
            throw StrataError.invalidArgument(
                "allGatherRows: rowCounts \(rowCounts) gives rank \(bad) a negative row count (on \(place))", hint: Self.rowCountsHint)
        }
    }

    private static var rowCountsHint: String {
        "pass every rank's row count in rank order, the same list on every rank, or call allGatherRows(_:reusing:), which exchanges the counts itself"
    }
}
