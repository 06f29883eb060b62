/// ZeRO stage 1 (`GradientCommunication.shardOptimizer`; Rajbhandari et al. 2020, llm.c's sharded update): rank
/// r owns the contiguous part `[r P / p, (r + 1) P / p)` of the `P`-scalar parameter buffer. Each gradient bucket
/// is reduce-scattered instead of all-reduced (every rank receives the global sum of its part only), every rank
/// runs the optimizer on its part with only that part of the slots, and the updated weights are all-gathered.
/// Memory for the slots and the update's work fall by p; on the wire reduce-scatter + all-gather move what one
/// all-reduce moves.
///
/// The part boundaries ignore weight boundaries: the optimizer must treat every scalar on its own
/// (`ElementwiseUpdating`), per-weight gradient norms (`clipnorm`, `global_clipnorm`) are summed from every rank's
/// partial sums of squares, and constraints (`max_norm` needs whole rows) run on the gathered weights, on every
/// rank as before. Row-sparse Embedding steps (`SparseRowExchange`) stay replicated: such a run is not sharded.
final class OptimizerShard {
    /// Every rank's part of the parameter buffer, in rank order.
    let ranges: [Range<Int>]
    let rank: Int
    /// This rank's summed gradients, written by the buckets' reduce-scatters.
    private let gradients: Tensor

    /// A shard for this run, or nil when the run stays replicated (one rank, the option off, an optimizer that is
    /// not elementwise, row-sparse traffic).
    convenience init?(_ model: Sequential, comm: Communicator, sparse: SparseRowExchange?) {
        guard comm.size > 1, model.communication.shardOptimizer, sparse == nil,
            model.optimizer is ElementwiseUpdating, !(model.optimizer is WeightwiseOptimizer),
            let p = model.parameters
        else { return nil }
        self.init(ranges: OptimizerShard.ranges(count: p.count, size: comm.size), rank: comm.rank)
    }

    /// Rank `rank`'s shard of the parts `ranges`.
    init(ranges: [Range<Int>], rank: Int) {
        self.ranges = ranges
        self.rank = rank
        gradients = Tensor(zeros: [ranges[rank].count])
    }

    /// `count` scalars in `size` contiguous parts whose sizes differ by at most one.
    static func ranges(count: Int, size: Int) -> [Range<Int>] {
        (0..<size).map { (($0 * count) / size)..<((($0 + 1) * count) / size) }
    }

    /// This rank's part.
    var mine: Range<Int> { ranges[rank] }

    /// What each rank receives of the scalars `bucket`.
    func counts(of bucket: Range<Int>) -> [Int] { ranges.map { $0.clamped(to: bucket).count } }

    /// Starts the reduce-scatter of `buffer`'s scalars `bucket` (a range of the gradients), on the communication
    /// thread with `background`.
    func start(_ bucket: Range<Int>, of buffer: Tensor, comm: Communicator, background: Bool = false) throws -> PendingReduction {
        let part = mine.clamped(to: bucket)
        let at = part.isEmpty ? 0 : part.lowerBound - mine.lowerBound
        return try comm.startReduceScatterSum(
            buffer.rows(bucket), counts: counts(of: bucket), into: gradients.rows(at..<(at + part.count)), background: background)
    }

    /// Once every bucket has arrived: this rank's global gradients into its part of `p.gradients` (the rest of the
    /// buffer keeps this rank's own, unsummed, and is not read).
    func place(into p: Parameters) { Kernels.copy(gradients, into: p.gradients.rows(mine)) }

    /// Each rank's part of `p.values` to every rank, after the sharded update.
    func gatherValues(_ p: Parameters, comm: Communicator) throws { try comm.allGather(p.values, counts: ranges.map(\.count)) }

    /// At the start of the run: keep this rank's part of every slot (the whole slots were broadcast from rank 0).
    func keepOwnSlots(_ state: OptimizerState) {
        guard state.shard == nil else { return }
        state.slots = state.slots.map { $0.rows(mine).copy() }
        state.shard = mine
    }

    /// At the end of the run: the whole slots again on every rank (as after a replicated run).
    func gatherSlots(_ state: OptimizerState, comm: Communicator) throws {
        guard let whole = try state.gatheredSlots(comm) else { return }
        state.slots = whole
        state.shard = nil
    }
}
