/// How `fit` moves each step's gradients between ranks (`Sequential.communication`, or `run.communication` in a
/// config). Every setting gives the same weights: bit for bit on 2 ranks, to float summation order on more (the
/// pieces of a sum are grouped differently); they only change when the bytes travel.
///
/// - `overlap`: gradients travel in buckets in reverse layer order, each bucket's all-reduce started as soon as
///   backward has finished its layers and advanced between the following layers, as PyTorch DDP's buckets and
///   llm.c's per-layer reductions do; off, one all-reduce of the whole step buffer after backward.
/// - `firstBucketMB`, `bucketMB`: bucket sizes in MiB (DDP's `first_bucket` / `bucket_cap_mb`). The first bucket
///   (the last layers) is small so the wire is busy early; a layer is never split. The step's loss and metric sums
///   travel first, alone.
/// - `progressThread`: with `overlap` on several MPI ranks, a communication thread per rank starts each bucket's
///   collective and drives it while backward computes (Horovod's background thread); off, the compute thread
///   advances the transfers between layers, and Open MPI moves bytes only inside those calls, so over TCP little
///   hides. Same sums either way. One-process runs never start the thread. On by default: over an emulated
///   1 Gbit/s link it hid half or more of vgg_like's all-reduce behind backward (a twentieth without it), at no
///   measurable cost through shared memory (README, "What scales").
/// - `sparseGradients`: an `Embedding` gradient travels as its touched rows (ids and values, gathered from every
///   rank and added in rank order, as Horovod does for IndexedSlices) whenever that is fewer floats than the dense
///   all-reduce of the whole table; the optimizer then updates only those rows (see `RowSparseStep`).
/// - `shardOptimizer` (ZeRO stage 1, `OptimizerShard`): each bucket is reduce-scattered instead of all-reduced,
///   each rank updates its contiguous 1/p of the weights and keeps only that part of the optimizer slots, then the
///   weights are all-gathered. Optimizer memory and update work per rank fall by p; the bytes on the wire are those
///   of the all-reduce. It applies to `ElementwiseUpdating` optimizers on models without row-sparse Embedding
///   traffic; any other run stays replicated.
public struct GradientCommunication: Equatable, Sendable {
    public var overlap: Bool
    public var firstBucketMB: Double
    public var bucketMB: Double
    public var sparseGradients: Bool
    public var shardOptimizer: Bool
    public var progressThread: Bool

    public init(
        overlap: Bool = true, firstBucketMB: Double = 1, bucketMB: Double = 4, sparseGradients: Bool = true,
        shardOptimizer: Bool = false, progressThread: Bool = true
    ) {
        self.overlap = overlap
        self.progressThread = progressThread
        self.firstBucketMB = firstBucketMB
        self.bucketMB = bucketMB
        self.sparseGradients = sparseGradients
        self.shardOptimizer = shardOptimizer
    }

    /// One all-reduce of the whole step buffer after backward, every gradient dense (the path before buckets).
    public static let oneBuffer = GradientCommunication(overlap: false, sparseGradients: false)

    /// Checks the sizes (positive, finite): a clear error for a config or API value that cannot work.
    public func validate() throws {
        for (name, v) in [("first_bucket_mb", firstBucketMB), ("bucket_mb", bucketMB)] where !(v > 0 && v.isFinite) {
            throw StrataError.invalidArgument(
                "communication.\(name) must be a positive number of MiB, got \(v)", hint: "e.g. \(name): 4")
        }
    }

    /// Floats in `mb` MiB (at least one).
    static func floats(_ mb: Double) -> Int { max(1, Int(mb * 1_048_576 / 4)) }
}
