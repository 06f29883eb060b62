/// ZeRO-1's weight all-gather overlapped with the next forward (`GradientCommunication.overlapWeightGather`, PyTorch
/// FSDP's forward prefetch): the sharded update runs piece by piece in forward layer order, and each piece's
/// all-gather starts (a non-blocking `startAllGather`, on the communication thread when the run has one) as soon as
/// this rank's part of it is updated, while the later pieces update; the next forward waits, before each layer, only
/// for the pieces up to the last one holding that layer's weights. Every other reader of the weights (the next
/// update, validation, callbacks that read weights, checkpoints, the end of `fit`) waits for all of them first
/// (`waitAll`), so no path reads a half-gathered weight. The pieces carry the bytes of the blocking all-gather: only
/// the timing changes.
///
/// Pieces are contiguous and cover the buffer. The first piece holds at most `firstBucketMB`, so the first layers
/// start early; later ones `bucketMB`, as the gradient buckets. A layer starts a new piece when it would take the
/// current one past its size; a layer larger than a piece is split into pieces of that size (vgg_like's 7.9 M-weight
/// Dense layer: 8 pieces of 4 MiB, the first starting after 1 M weights are updated instead of after the whole
/// update), its last piece closed with it.
final class WeightGather {
    /// The pieces of the parameter buffer, in forward order.
    let pieces: [Range<Int>]
    /// For each layer, how many pieces (a prefix) must have arrived before its forward reads its weights.
    let needed: [Int]
    private let shard: OptimizerShard
    /// Pieces go to the communicator's communication thread.
    private let background: Bool
    /// This step's started pieces, and how many of them were waited for.
    private var pending: [PendingReduction] = []
    private var waited = 0

    /// - Parameters:
    ///   - layerRanges: each layer's scalars of the parameter buffer (empty for layers without weights).
    ///   - count: the parameter buffer's scalars.
    init(layerRanges: [Range<Int>], count: Int, shard: OptimizerShard, options: GradientCommunication) {
        var pieces: [Range<Int>] = []
        var start = 0, cap = GradientCommunication.floats(options.firstBucketMB)
        func close(at end: Int) {
            guard end > start else { return }
            pieces.append(start..<end)
            start = end
            cap = GradientCommunication.floats(options.bucketMB)
        }
        for r in layerRanges where !r.isEmpty && r.upperBound > start {
            // A layer that would take the piece past its cap starts the next one.
            if r.upperBound - start > cap { close(at: max(start, r.lowerBound)) }
            let large = r.upperBound - start >= cap
            while r.upperBound - start > cap { close(at: start + cap) }
            if large { close(at: r.upperBound) }
        }
        close(at: count)
        self.pieces = pieces
        needed = layerRanges.map { r in r.isEmpty ? 0 : (pieces.firstIndex { $0.upperBound >= r.upperBound } ?? pieces.count - 1) + 1 }
        self.shard = shard
        background = options.overlap && options.progressThread
    }

    /// The weight gather of `model`'s run, or nil when the update ends with the blocking all-gather (not sharded,
    /// the option or `overlap` off, or weight constraints, which read whole gathered weights right after the update).
    convenience init?(_ model: Sequential, shard: OptimizerShard?, options: GradientCommunication) {
        guard let shard, options.overlap, options.overlapWeightGather, let p = model.parameters,
            !p.handles.contains(where: { $0.trainable && $0.constraint != nil })
        else { return nil }
        self.init(layerRanges: GradientBuckets.layerRanges(model), count: p.count, shard: shard, options: options)
    }

    /// Rank 0's note at the start of a run with this gather when some callbacks' batch hooks may read the weights
    /// (`Callback.readsWeightsEachBatch`, true unless a callback declares otherwise): every batch then waits for the
    /// whole gather before those hooks, so the overlap is gone. Names them and what to declare; nil when none reads.
    static func note(waitingFor callbacks: [Callback]) -> String? {
        var readers: [String] = []
        for c in callbacks where c.readsWeightsEachBatch {
            let name = String(describing: type(of: c))
            if !readers.contains(name) { readers.append(name) }
        }
        guard let last = readers.last else { return nil }
        let list = readers.count == 1 ? "callback \(last)" : "callbacks \(readers.dropLast().joined(separator: ", ")) and \(last)"
        return "ZeRO-1's weight all-gather will not overlap the next forward: the batch hooks of \(list) may read the weights "
            + "(readsWeightsEachBatch is true), so every batch waits for the whole gather first. In a callback whose "
            + "onBatchBegin/onBatchEnd do not read the model's weights, declare `var readsWeightsEachBatch: Bool { false }`"
            + (readers.contains("ModelCheckpoint")
                ? "; a ModelCheckpoint saving every n steps reads them (save once an epoch, run.checkpoint_every: epoch, to keep the overlap)"
                : "")
    }

    /// Before the sharded update: the previous gather is complete (the update waited for it); nothing in flight.
    func begin() {
        precondition(waited == pending.count, "a weight gather started while the previous one is in flight")
        pending.removeAll(keepingCapacity: true)
        waited = 0
    }

    /// Once this rank's part of piece `piece` of `values` is updated: starts its all-gather (pieces start in order,
    /// the same on every rank).
    func start(piece: Int, of values: Tensor, comm: Communicator) throws {
        precondition(piece == pending.count, "weight gather pieces start in order")
        let range = pieces[piece]
        pending.append(try comm.startAllGather(values.rows(range), counts: shard.counts(of: range), background: background))
    }

    /// Before layer `layer`'s forward: waits for the pieces holding its weights and nudges the rest along.
    func wait(forLayer layer: Int) throws {
        guard waited < pending.count else { return }
        try wait(upTo: needed[layer])
        for p in pending[waited...] { _ = try p.test() }
    }

    /// Before anything else reads the weights: waits for every piece (nothing when none is in flight).
    func waitAll() throws { try wait(upTo: pending.count) }

    private func wait(upTo end: Int) throws {
        while waited < min(end, pending.count) {
            try pending[waited].wait()
            waited += 1
        }
    }
}
