/// The step buffer cut into buckets for the overlapped all-reduce (`GradientCommunication.overlap`).
///
/// Layers own contiguous ranges of the gradients in layer order, and backward finishes them last layer first, so a
/// bucket is a contiguous range of the step buffer filled from the end: the step's sums (known before backward)
/// alone, then the last layers' gradients up to `firstBucketMB`, then `bucketMB` at a time. A bucket is ready once
/// backward has finished its lowest layer. Row-sparse regions (`SparseRowExchange`) are left out: their bytes
/// travel as rows. Without overlap, every contiguous run is one bucket, started after backward. With compression
/// (`GradientCommunication.compression`) the sums are their own bucket in either case, the one bucket that always
/// travels as float.
struct GradientBuckets {
    struct Bucket: Equatable {
        /// Scalars of the step buffer.
        let range: Range<Int>
        /// Backward must have finished this layer (and so every later one) before the bucket starts;
        /// `layerCount` means before backward.
        let readyAfter: Int
    }
    let buckets: [Bucket]
    let overlap: Bool
    /// Buckets go to the communicator's communication thread (`GradientCommunication.progressThread`).
    let background: Bool
    /// The format the gradient buckets travel in (the sums' bucket always as float).
    let compression: GradientCompression
    /// With compression: each bucket's 16-bit values while they travel (two to a float), allocated once with the
    /// step buffer and reused every step; `stagingOffsets[i]` is bucket i's first float, nil for the sums' bucket.
    let staging: Tensor?
    let stagingOffsets: [Int?]

    /// - Parameters:
    ///   - layerRanges: each layer's scalars of the gradient buffer (empty for layers without weights).
    ///   - tail: the step's sums, after the gradients.
    ///   - excluded: row-sparse regions that do not travel dense.
    init(layerRanges: [Range<Int>], tail: Range<Int>, excluded: [Range<Int>], options: GradientCommunication) {
        overlap = options.overlap
        background = options.overlap && options.progressThread
        compression = options.compression
        var out: [Bucket] = []
        var current: (range: Range<Int>, ready: Int)?
        var cap = options.overlap ? GradientCommunication.floats(options.firstBucketMB) : Int.max
        func close() {
            if let c = current, !c.range.isEmpty { out.append(Bucket(range: c.range, readyAfter: c.ready)) }
            current = nil
        }
        /// Adds a piece that ends where the current bucket begins (or starts a new one).
        func add(_ r: Range<Int>, ready: Int) {
            guard !r.isEmpty else { return }
            if let c = current, c.range.lowerBound == r.upperBound {
                current = (r.lowerBound..<c.range.upperBound, ready)
            } else {
                close()
                current = (r, ready)
            }
        }
        let layerCount = layerRanges.count
        add(tail, ready: layerCount)
        // The sums go first, alone: the smallest possible first message; sharded, every rank needs all of them.
        if options.overlap || options.shardOptimizer || options.compression != .none { close() }
        for i in stride(from: layerCount - 1, through: 0, by: -1) {
            // The layer's range minus the excluded regions, highest piece first.
            var pieces = [layerRanges[i]]
            for x in excluded {
                pieces = pieces.flatMap { p -> [Range<Int>] in
                    guard p.overlaps(x) else { return [p] }
                    return [p.lowerBound..<max(p.lowerBound, x.lowerBound), min(p.upperBound, x.upperBound)..<p.upperBound]
                        .filter { !$0.isEmpty }
                }
            }
            for p in pieces.sorted(by: { $0.lowerBound > $1.lowerBound }) {
                add(p, ready: i)
                if let c = current, c.range.count >= cap {
                    close()
                    cap = GradientCommunication.floats(options.bucketMB)
                }
            }
        }
        close()
        buckets = out
        var offsets: [Int?] = [], floats = 0
        for b in out {
            let compressed = options.compression != .none && b.range.upperBound <= tail.lowerBound
            offsets.append(compressed ? floats : nil)
            if compressed { floats += (b.range.count + 1) / 2 }
        }
        stagingOffsets = offsets
        staging = floats > 0 ? Tensor(zeros: [floats]) : nil
    }

    /// Bucket `i`'s staging floats, nil when it travels as float.
    func staging(of i: Int) -> Tensor? {
        guard let staging, let offset = stagingOffsets[i] else { return nil }
        return staging.rows(offset..<(offset + (buckets[i].range.count + 1) / 2))
    }

    /// The buckets of `model`'s step buffer (gradients then `tailCount` sums).
    init(_ model: Sequential, tailCount: Int, excluded: [Range<Int>], options: GradientCommunication) {
        let p = model.countParams()
        self.init(layerRanges: GradientBuckets.layerRanges(model), tail: p..<(p + tailCount), excluded: excluded, options: options)
    }

    /// Each layer's scalars of the parameter buffer (empty for layers without weights).
    static func layerRanges(_ model: Sequential) -> [Range<Int>] {
        model.layerWeights.map { hs -> Range<Int> in
            guard let lo = hs.map(\.offset).min(), let hi = hs.map({ $0.offset + $0.count }).max() else { return 0..<0 }
            return lo..<hi
        }
    }

    /// One step's reductions: `started` buckets in order, each with its pending reduction.
    final class Flight {
        let buckets: GradientBuckets
        let buffer: Tensor
        let comm: Communicator
        /// Under ZeRO-1 the gradient buckets are reduce-scattered to their owners (the sums still all-reduced).
        let shard: OptimizerShard?
        private(set) var pending: [PendingReduction] = []

        init(_ buckets: GradientBuckets, buffer: Tensor, comm: Communicator, shard: OptimizerShard? = nil) {
            self.buckets = buckets
            self.buffer = buffer
            self.comm = comm
            self.shard = shard
        }

        /// Starts every bucket ready once backward has finished `layer` (all of them for `nil`: backward is over)
        /// and nudges the ones in flight.
        func layerDone(_ layer: Int?) throws {
            let all = buckets.buckets
            while pending.count < all.count {
                let b = all[pending.count]
                if let layer, !buckets.overlap || b.readyAfter < layer { break }
                if let shard, b.range.upperBound <= shard.ranges.last!.upperBound {
                    pending.append(try shard.start(b.range, of: buffer, comm: comm, background: buckets.background))
                } else if let staging = buckets.staging(of: pending.count) {
                    pending.append(
                        try comm.startAllReduceSum(
                            buffer.rows(b.range), compression: buckets.compression, staging: staging, background: buckets.background))
                } else {
                    pending.append(try comm.startAllReduceSum(buffer.rows(b.range), background: buckets.background))
                }
            }
            for p in pending { _ = try p.test() }
        }

        /// Backward is over: starts what is left, then waits for everything.
        func finish() throws {
            try layerDone(nil)
            for p in pending { try p.wait() }
        }
    }
}
