/// The two collectives of ZeRO-1 (`OptimizerShard`) for communicators without them, built from `allReduceSum` and
/// `allGatherRows`: the same sums in the same order as the all-reduce, so the sharded step gives the replicated
/// step's numbers on such a communicator. `MPICommunicator` has the real ones (`MPI_Ireduce_scatter`,
/// `MPI_Allgatherv`, `MPI_Iallgatherv`).
extension Communicator {
    public func startReduceScatterSum(_ buffer: Tensor, counts: [Int], into: Tensor) throws -> PendingReduction {
        let sums = buffer.copy()
        try allReduceSum(sums)
        let start = counts.prefix(rank).reduce(0, +)
        Kernels.copy(sums.rows(start..<(start + counts[rank])), into: into)
        return CompletedReduction()
    }

    public func allGather(_ buffer: Tensor, counts: [Int]) throws {
        let start = counts.prefix(rank).reduce(0, +)
        let all = try allGatherRows(buffer.rows(start..<(start + counts[rank])).copy())
        Kernels.copy(all, into: buffer.rows(0..<counts.reduce(0, +)))
    }

    /// Without a non-blocking all-gather the weights arrive now; the returned reduction is already complete.
    public func startAllGather(_ buffer: Tensor, counts: [Int], background: Bool) throws -> PendingReduction {
        try allGather(buffer, counts: counts)
        return CompletedReduction()
    }
}
