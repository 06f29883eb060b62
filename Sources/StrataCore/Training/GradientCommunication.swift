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
///   hides. Same sums either way. One-process runs never start the thread. Over an emulated 1 Gbit/s link it hid
///   half or more of vgg_like's all-reduce behind backward (a twentieth without it) (README, "What scales").
/// - Left unset, `overlap` and `progressThread` are chosen by where the ranks run (`resolved(for:)`): ranks on
///   several hosts overlap with the progress thread; ranks all on one host send one buffer after backward, since
///   through shared memory the all-reduce is fast and a progress thread per rank takes CPU from the compute threads
///   when ranks fill the cores. Either one set explicitly (API or `run.communication`) is used as given, the other
///   taking its default (on). Setting a bucket size asks for buckets: with `overlap` unset it turns overlap on; with
///   `overlap: false` the sizes are unused and the run warns once at start (`Path.warning`).
/// - `sparseGradients`: an `Embedding` gradient travels as its touched rows (ids and values, gathered from every
///   rank and added in rank order, as Horovod does for IndexedSlices) whenever that is fewer floats than the dense
///   all-reduce of the whole table; the optimizer then updates only those rows (see `RowSparseStep`).
/// - `shardOptimizer` (ZeRO stage 1, `OptimizerShard`): each bucket is reduce-scattered instead of all-reduced,
///   each rank updates its contiguous 1/p of the weights and keeps only that part of the optimizer slots, then the
///   weights are all-gathered. Optimizer memory and update work per rank fall by p; the bytes on the wire are those
///   of the all-reduce. It applies to `ElementwiseUpdating` optimizers on models without row-sparse Embedding
///   traffic; any other run stays replicated.
/// - `overlapWeightGather` (with `shardOptimizer` and `overlap`): ZeRO-1's weight all-gather starts right after the
///   update in pieces in forward layer order (`WeightGather`), and each layer's next forward waits only for the
///   pieces holding its weights (PyTorch FSDP's forward prefetch); off, or with `overlap: false`, the update ends
///   with one blocking all-gather. The same bytes either way. Models with weight constraints gather blocking (a
///   constraint needs the whole gathered weight right after the update).
/// - `compression` (`GradientCompression`, Horovod's `compression=hvd.Compression.fp16`): dense gradient buckets
///   travel as fp16 or bf16 values, half the bytes, summed with float additions rounded back to 16 bits; off
///   (`none`), the default, they travel as float. Unlike the settings above it changes the weights: by the format's
///   rounding per step, identically on every rank. Not with `shardOptimizer`; a one-process run rounds nothing.
public struct GradientCommunication: Equatable, Sendable {
    /// The first bucket's size in MiB: as set, else 1.
    public var firstBucketMB: Double {
        get { firstBucketMBSetting ?? 1 }
        set { firstBucketMBSetting = newValue }
    }
    /// The other buckets' size in MiB: as set, else 4.
    public var bucketMB: Double {
        get { bucketMBSetting ?? 4 }
        set { bucketMBSetting = newValue }
    }
    public var sparseGradients: Bool
    public var shardOptimizer: Bool
    public var overlapWeightGather: Bool
    /// The format dense gradients travel in: `none` (float, the default), `fp16` or `bf16`.
    public var compression: GradientCompression
    /// The values given (nil: chosen by topology, `resolved(for:)`).
    public private(set) var overlapSetting: Bool?
    public private(set) var progressThreadSetting: Bool?
    /// The bucket sizes given (nil: the defaults): setting one asks for buckets (`resolved(for:)`).
    public private(set) var firstBucketMBSetting: Double?
    public private(set) var bucketMBSetting: Double?

    /// Whether buckets overlap backward: as set, else on (what runs across hosts; see `resolved(for:)`).
    public var overlap: Bool {
        get { overlapSetting ?? true }
        set { overlapSetting = newValue }
    }

    /// Whether a progress thread drives the buckets: as set, else on (see `resolved(for:)`).
    public var progressThread: Bool {
        get { progressThreadSetting ?? true }
        set { progressThreadSetting = newValue }
    }

    /// `overlap` and `progressThread` left nil are chosen by where the ranks run (`resolved(for:)`); bucket sizes
    /// left nil are the defaults (1 and 4 MiB).
    public init(
        overlap: Bool? = nil, firstBucketMB: Double? = nil, bucketMB: Double? = nil, sparseGradients: Bool = true,
        shardOptimizer: Bool = false, progressThread: Bool? = nil, overlapWeightGather: Bool = true,
        compression: GradientCompression = .none
    ) {
        self.compression = compression
        overlapSetting = overlap
        progressThreadSetting = progressThread
        firstBucketMBSetting = firstBucketMB
        bucketMBSetting = bucketMB
        self.sparseGradients = sparseGradients
        self.shardOptimizer = shardOptimizer
        self.overlapWeightGather = overlapWeightGather
    }

    /// Whether a bucket size was set (API or `run.communication`).
    public var bucketSizesSet: Bool { firstBucketMBSetting != nil || bucketMBSetting != nil }

    /// One all-reduce of the whole step buffer after backward, every gradient dense (the path before buckets).
    public static let oneBuffer = GradientCommunication(overlap: false, sparseGradients: false)

    /// Checks the sizes (positive, finite) and that compression is not combined with ZeRO-1: a clear error for a
    /// config or API value that cannot work.
    public func validate() throws {
        if compression != .none && shardOptimizer {
            throw StrataError.invalidArgument(
                "communication.compression: \(compression.rawValue) cannot be combined with communication.shard_optimizer: true (ZeRO-1's reduce-scatter travels as float)",
                hint: "set compression: none, or shard_optimizer: false")
        }
        for (name, v) in [("first_bucket_mb", firstBucketMB), ("bucket_mb", bucketMB)] where !(v > 0 && v.isFinite) {
            throw StrataError.invalidArgument(
                "communication.\(name) must be a positive number of MiB, got \(v)", hint: "e.g. \(name): 4")
        }
    }

    /// Which path a run's gradients take and why (`resolved(for:)`).
    public struct Path: Equatable, Sendable {
        /// The settings the run uses: `overlap` and `progressThread` set.
        public let options: GradientCommunication
        /// Whether they were chosen by topology (neither set by the user).
        public let automatic: Bool
        /// "one buffer after backward", "overlapped buckets, progress thread", ..., then ", fp16 on the wire" when
        /// compressed.
        public var name: String {
            (options.overlap
                ? "overlapped buckets, " + (options.progressThread ? "progress thread" : "progress between layers")
                : "one buffer after backward") + (options.compression == .none ? "" : ", \(options.compression.rawValue) on the wire")
        }
        /// Why, for the run's start line: "all 2 ranks on one host (shared memory), chosen automatically", "as set ...".
        public let reason: String
        /// A setting the run does not use, to print once at start (bucket sizes with `overlap: false`).
        public var warning: String? = nil
    }

    /// The path of a run on `size` ranks spread over `hosts` hosts. Unset `overlap` and `progressThread`: on one
    /// host one buffer (shared memory; measured faster there, README "Across ranks"), across hosts overlap with the
    /// progress thread; a bucket size set turns `overlap` on. Set ones win. One process compresses nothing (nothing
    /// travels): its `compression` is `none`.
    public func resolved(size: Int, hosts: Int) -> Path {
        var options = self
        if size <= 1 { options.compression = .none }
        if overlapSetting == nil && bucketSizesSet {
            options.overlap = true
            options.progressThread = progressThread
            return Path(
                options: options, automatic: false,
                reason: "bucket sizes set (communication.first_bucket_mb / bucket_mb), so buckets overlap backward")
        }
        guard overlapSetting == nil && progressThreadSetting == nil else {
            options.overlap = overlap
            options.progressThread = progressThread
            var path = Path(options: options, automatic: false, reason: "as set (communication.overlap / progress_thread)")
            if !overlap && bucketSizesSet {
                path.warning =
                    "communication.first_bucket_mb / bucket_mb are set but overlap is off: the gradients travel in one buffer after backward and the bucket sizes are unused (remove `overlap: false` to use buckets)"
            }
            return path
        }
        let oneHost = hosts <= 1
        options.overlap = !oneHost
        options.progressThread = !oneHost
        let place =
            size <= 1
            ? "one process" : oneHost ? "all \(size) ranks on one host (shared memory)" : "\(size) ranks on \(hosts) hosts"
        return Path(options: options, automatic: true, reason: place + ", chosen automatically")
    }

    /// The path of a run on `comm` (`Communicator.hostCount` hosts).
    public func resolved(for comm: Communicator) -> Path { resolved(size: comm.size, hosts: comm.hostCount) }

    /// Floats in `mb` MiB (at least one).
    static func floats(_ mb: Double) -> Int { max(1, Int(mb * 1_048_576 / 4)) }
}
