import Foundation

/// The data-parallel training loop of DESIGN.md: one `Trainer` per `fit`, `evaluate` or `predict` call, identical
/// on 1 and N ranks. It owns the run: the communicator, the position (`TrainingState`), the step buffers and the
/// callbacks; the model only computes (forward, backward). The checks before the first step are in Preflight.swift.
///
/// Each step: this rank reads its shard `[r*n/p, (r+1)*n/p)` of the global batch of `n` rows, runs forward, the
/// loss (gradient scaled by `1/n`), backward, while the step buffer — the gradients with the step's loss and metric
/// sums and the stop flag behind them — is all-reduced in buckets as backward finishes their layers, then the
/// optimizer updates. The same seed gives the same weights on any rank count.
final class Trainer {
    let model: Sequential
    let comm: Communicator
    let plan: RunPlan
    /// What the callbacks see (and `ModelCheckpoint` writes).
    let context: TrainingContext
    /// The loss and metrics of this run (nil and empty for `predict`).
    private let loss: Loss?
    private let metrics: [Metric]
    /// The layout of the loss and metric sums (step buffer tail, partial sums).
    private let figures: FigureSums
    /// The last layer and the loss when the loss is computed from the logits (asked once).
    private let fused: (layer: LogitsProducing, loss: LogitsLoss)?
    /// Step buffers, reused from step to step.
    private var work = Workspace<BatchSlot>()
    /// Per-sample values per row of output (one unless the output keeps a time axis).
    private let perSample: Int
    /// The all-reduce that BatchNormalization's global batch statistics ride in (`LayerContext.sumOverRanks`).
    private lazy var sumOverRanks: (inout [Double]) -> Void = { [comm] sums in
        do { try comm.allReduceSum(&sums) } catch {
            comm.abort(
                "strata: rank \(comm.rank) of \(comm.size) failed: \((error as? LocalizedError)?.errorDescription ?? "\(error)")", code: 1)
        }
    }

    init(_ model: Sequential, _ comm: Communicator, _ plan: RunPlan, callbacks: [Callback] = [], resume: TrainingState? = nil) {
        self.model = model
        self.comm = comm
        self.plan = plan
        let state = resume ?? TrainingState(seed: model.runSeed, initSeed: model.seed)
        context = TrainingContext(
            model: model, communicator: comm, state: state, threads: comm.threadsPerRank,
            callbacks: callbacks)
        // OpenBLAS's own GEMM threads follow the run's count (the one place a run sets it; layers get it passed).
        if BLAS.threads != context.threads { BLAS.threads = context.threads }
        loss = plan.hasTargets ? model.loss : nil
        figures = plan.hasTargets ? model.figures : FigureSums(metrics: [], outputShape: [])
        metrics = plan.hasTargets ? model.metrics : []
        fused = loss.flatMap { model.logitsOutput(for: $0) }
        let out = model.outputShape!
        perSample = out.reduce(1, *) / max(out.last ?? 1, 1)
    }

    // MARK: fit

    /// Keras's `fit` loop from `context.state` (a fresh start, or a checkpoint's position) to `epochs`.
    func fit(epochs: Int, verbose: Int) throws -> History {
        let state = context.state, callbacks = context.callbacks.map(\.callback)
        let step = StepBuffer(model, comm: comm)
        state.worldSize = comm.size
        state.threads = context.threads
        state.seed = model.runSeed
        state.initSeed = model.seed
        context.restoreCallbackStates(state.callbacks)
        step.shard?.keepOwnSlots(model.optimizerState!)
        model.activeRun = context
        defer {
            state.resumed = false
            state.callbacks = context.callbackStates
            model.activeRun = nil
            model.finishedRun = state
        }
        let history = state.history
        let printing = context.isPrintingRank ? verbose : 0
        if context.isPrintingRank && comm.size > 1, let warning = step.path.warning {
            FileHandle.standardError.write(Data("strata: warning: \(warning)\n".utf8))
        }
        if context.isPrintingRank && step.gather != nil, let note = WeightGather.note(waitingFor: callbacks) {
            FileHandle.standardError.write(Data("strata: note: \(note)\n".utf8))
        }
        // ZeRO-1's overlapped weight gather completes before batch hooks that may read the weights.
        let batchHooksReadWeights = callbacks.contains { $0.readsWeightsEachBatch }
        let (train, batch) = (plan.data, plan.batch)
        history.params = ["verbose": verbose, "epochs": epochs, "steps": (train.count + batch - 1) / batch]
        do {
            for cb in callbacks { try cb.onTrainBegin(context: context) }
            var lastLogs: [String: Double] = [:]
            if state.stopped && printing > 0 {
                print("Training had stopped at epoch \(state.epoch) (a callback ended it); resuming trains no further.")
            }
            epochLoop: while !state.stopped && state.epoch < epochs {
                let epoch = state.epoch
                if state.batchInEpoch == 0 { for cb in callbacks { try cb.onEpochBegin(epoch, context: context) } }
                if printing > 0 && epochs > 1 && (state.batchInEpoch == 0 || state.resumed) { print("Epoch \(epoch + 1)/\(epochs)") }
                let batches = Batches(sampleCount: train.count, batchSize: batch, shuffle: plan.shuffle, seed: model.runSeed, epoch: epoch)
                let bar = ProgressBar(target: batches.count, verbose: printing)
                if state.partialSums.count != figures.count { state.partialSums = figures.upgrade(state.partialSums) }
                // A run resumed after the epoch's last batch still reports that epoch's training figures.
                var logs: [String: Double] = state.batchInEpoch > 0 ? epochLogs(state.partialSums) : [:]
                while state.batchInEpoch < batches.count {
                    let k = state.batchInEpoch
                    if batchHooksReadWeights { try step.gather?.waitAll() }
                    if !context.stopTraining { for cb in callbacks { try cb.onBatchBegin(k, context: context) } }
                    // A stop asked for by any rank's callbacks rides in this step's all-reduce; then every rank
                    // discards this step and stops after the same batch (no rank is left waiting).
                    guard
                        try trainStep(
                            batches.shard(k, rank: comm.rank, size: comm.size), step,
                            next: nextRead(after: k, of: batches, epochs: epochs), sums: &state.partialSums)
                    else {
                        context.stopTraining = true
                        break
                    }
                    state.batchInEpoch += 1
                    logs = epochLogs(state.partialSums)
                    context.logs = logs
                    if batchHooksReadWeights { try step.gather?.waitAll() }
                    for cb in callbacks { try cb.onBatchEnd(k, logs: logs, context: context) }
                    bar.update(state.batchInEpoch, logs: logs, finalize: false)
                }
                try step.gather?.waitAll()  // validation, epoch callbacks, checkpoints and the end of fit read them
                context.stopTraining = try comm.any(context.stopTraining)
                if let validation = plan.validation, !context.stopTraining || state.batchInEpoch == batches.count {
                    let then = firstRead(ofEpoch: epoch + 1, epochs: epochs)
                    for (key, value) in epochLogs(try evaluateSums(validation, weights: plan.validationWeights, then: then)) {
                        logs["val_" + key] = value
                    }
                }
                bar.update(state.batchInEpoch, logs: logs, finalize: true)
                history.append(epoch: epoch, logs: logs)
                lastLogs = logs
                context.logs = logs
                state.epoch += 1
                state.batchInEpoch = 0
                state.partialSums = [Double](repeating: 0, count: figures.count)
                for cb in callbacks { try cb.onEpochEnd(epoch, logs: logs, context: context) }
                context.stopTraining = try comm.any(context.stopTraining)
                if context.stopTraining {
                    state.stopped = true
                    break epochLoop
                }
            }
            try step.shard?.gatherSlots(model.optimizerState!, comm: comm)
            if epochs > 0 { model.optimizer!.finalizeVariableValues(model.parameters!, model.optimizerState!) }
            for cb in callbacks { try cb.onTrainEnd(logs: lastLogs, context: context) }
        } catch {
            try comm.failAllRanks(error)
        }
        return history
    }

    /// The gradients followed by the step's sums `[loss, metrics..., stop flag]`: one buffer, all-reduced in
    /// buckets (`GradientBuckets`) that start while backward still runs; Embedding rows travel apart
    /// (`SparseRowExchange`).
    struct StepBuffer {
        let buffer: Tensor
        let sums: Tensor
        let rowSparse: RowSparseStep?
        let sparse: SparseRowExchange?
        let buckets: GradientBuckets
        /// ZeRO-1 (`GradientCommunication.shardOptimizer`), when this run is sharded.
        let shard: OptimizerShard?
        /// ZeRO-1's weight gather overlapped with the next forward, when the sharded run overlaps it.
        let gather: WeightGather?
        /// The gradient path (`GradientCommunication.resolved(for:)`).
        let path: GradientCommunication.Path
        /// The layers whose backward stores its `WeightGradientWriting` gradients (listed once at the model's top
        /// level, on runs without row-sparse steps), and the step buffer's ranges cleared before each step: all but
        /// those gradients.
        let overwritten: Set<Int>
        let cleared: [Range<Int>]

        init(_ model: Sequential, comm: Communicator) {
            let p = model.parameters!
            buffer = Tensor(zeros: [model.stepBufferCount])
            sums = buffer.rows(p.count..<buffer.count)
            p.useGradients(in: buffer)
            path = model.communication.resolved(for: comm)
            let options = path.options
            sparse = SparseRowExchange(layers: model.layers, comm: comm, options: options)
            rowSparse =
                model.rowSparseUpdates && (comm.size == 1 || sparse != nil)
                ? RowSparseStep(layers: model.layers, optimizer: model.optimizer) : nil
            buckets = GradientBuckets(model, tailCount: sums.count, excluded: sparse?.excluded ?? [], options: options)
            shard = OptimizerShard(model, comm: comm, sparse: sparse)
            gather = WeightGather(model, shard: shard, options: options)
            let uses = Dictionary(model.layers.map { (ObjectIdentifier($0), 1) }, uniquingKeysWith: +)
            let layers = rowSparse == nil ? model.layers : []
            let writers = layers.indices.filter {
                layers[$0] is WeightGradientWriting && uses[ObjectIdentifier(layers[$0])] == 1
            }
            overwritten = Set(writers)
            var start = 0, cleared: [Range<Int>] = []
            let written = writers.flatMap { (layers[$0] as! WeightGradientWriting).overwrittenGradients }
            for h in written.sorted(by: { $0.offset < $1.offset }) {
                if h.offset > start { cleared.append(start..<h.offset) }
                start = max(start, h.offset + h.count)
            }
            cleared.append(start..<buffer.count)
            self.cleared = cleared.filter { !$0.isEmpty }
        }

        /// Clears the step buffer before a step, all but the gradients backward stores (`overwritten`); everything
        /// when this rank's shard is empty (its backward does not run).
        func clear(everything: Bool, pool: ThreadPool) {
            if everything || overwritten.isEmpty { return Kernels.fill(buffer, 0, pool: pool) }
            for r in cleared { Kernels.fill(buffer.rows(r), 0, pool: pool) }
        }
    }

    /// The rows this rank reads next and from where: a streaming dataset reads them in the background while the
    /// current batch computes (`Dataset.prefetch`).
    typealias Upcoming = (data: Dataset, rows: ArraySlice<Int>)

    /// What this rank reads after training batch `k`: batch `k + 1`, else the validation's first batch, else the
    /// next epoch's first (nil after the run's last step).
    private func nextRead(after k: Int, of batches: Batches, epochs: Int) -> Upcoming? {
        if k + 1 < batches.count { return (plan.data, batches.shard(k + 1, rank: comm.rank, size: comm.size).samples) }
        if let validation = plan.validation {
            let first = Batches(sampleCount: validation.count, batchSize: plan.batch, shuffle: false, seed: model.seed, epoch: 0)
            return first.count > 0 ? (validation, first.shard(0, rank: comm.rank, size: comm.size).samples) : nil
        }
        return firstRead(ofEpoch: context.state.epoch + 1, epochs: epochs)
    }

    /// This rank's rows of training epoch `epoch`'s first batch (nil when the run ends before it).
    private func firstRead(ofEpoch epoch: Int, epochs: Int) -> Upcoming? {
        guard epoch < epochs, plan.data.count > 0 else { return nil }
        let batches = Batches(sampleCount: plan.data.count, batchSize: plan.batch, shuffle: plan.shuffle, seed: model.runSeed, epoch: epoch)
        return (plan.data, batches.shard(0, rank: comm.rank, size: comm.size).samples)
    }

    /// One optimizer step on this rank's `shard`; returns false, without updating, when any rank asked to stop
    /// (the flag rides in the step buffer's last slot).
    private func trainStep(_ shard: Batches.Shard, _ step: StepBuffer, next: Upcoming?, sums: inout [Double]) throws -> Bool {
        let p = model.parameters!, opt = model.optimizer!, optState = model.optimizerState!
        let timer = model.layerTimer
        var mark = timer == nil ? 0 : LayerTimer.now()
        if let rowSparse = step.rowSparse {
            rowSparse.zeroGradients(step.buffer)
        } else {
            step.clear(everything: shard.isEmpty, pool: context.pool)
        }
        timer?.add(.zeroing, since: mark)
        let n = shard.global * perSample
        let flight = GradientBuckets.Flight(step.buckets, buffer: step.buffer, comm: comm, shard: step.shard)
        if !shard.isEmpty {
            let (y, yPred, values, gradient, mask, kept) = try forwardAndLoss(
                shard, of: plan.data, training: true, step: optState.iterations, count: n, next: next, weights: step.gather)
            let w = sampleWeights(plan.weights, shard, y)
            if let w { LossKernels.scaleSamples(gradient, by: w) }  // d(sum(w l) / n)
            if let mask { LossKernels.scaleSamples(gradient, by: mask) }  // d(sum(w m l) / kept)
            mark = timer == nil ? 0 : LayerTimer.now()
            // The sums first, so they travel (alone, small) while backward runs.
            try figures.accumulate(
                yTrue: y, yPred: yPred, lossValues: values, weights: w, perSample: perSample, mask: mask,
                lossScale: mask == nil ? 1 : divideNoNaN(Double(n), kept),
                scratch: work.buffer(.metricValues, values.shape), into: step.sums.rows(0..<figures.count))
            step.sums[flat: 0] += Float(model.activity.sum * Double(perSample))  // (penalty / rows) * values
            step.sums[flat: figures.count] = context.stopTraining ? 1 : 0
            timer?.add(.loss, since: mark)
            // Synchronized batch statistics all-reduce inside forward and backward, and a rank without rows joins
            // them all at once: every rank must start its collectives in the same order, so with them the buckets
            // start only after backward.
            let early = !model.hasGlobalBatchStatistics
            if early { try flight.layerDone(model.layers.count) }
            try model.backward(
                gradient, fromLogits: fused != nil, step: optState.iterations, firstRow: shard.firstRow,
                threads: context.threads, pool: context.pool, sumOverRanks: sumOverRanks,
                activityScale: 1 / Float(shard.global), overwriting: step.overwritten,
                layerDone: { if early { try flight.layerDone($0) } })
        } else {
            // Every collective the other ranks make, in their order: statistics in forward, the kept count, in backward.
            let joinKept = { [self] in if figures.keptSlot != nil { _ = keptOverRanks(0) } }
            if model.hasGlobalBatchStatistics {
                model.joinGlobalStatistics(step: optState.iterations, sumOverRanks: sumOverRanks, afterForward: joinKept)
            } else {
                joinKept()
            }
            step.sums[flat: figures.count] = context.stopTraining ? 1 : 0
        }
        mark = timer == nil ? 0 : LayerTimer.now()
        try flight.layerDone(nil)  // every dense bucket in flight; the rows travel meanwhile
        timer?.add(.denseWait, since: mark)
        if let sparse = step.sparse {
            let rows = try sparse.exchange(p.gradients, comm: comm, active: !shard.isEmpty, timer: timer)
            step.rowSparse?.stepRows = rows
            if rows == nil { step.rowSparse?.invalidate() }
        }
        mark = timer == nil ? 0 : LayerTimer.now()
        try flight.finish()
        timer?.add(.denseWait, since: mark)
        try step.gather?.waitAll()  // a rank without rows, or layers forward did not reach: before anything reads them
        step.shard?.place(into: p)
        if step.sums[flat: figures.count] > 0 { return false }
        p.addRegularization(toLossSum: step.sums, count: step.sums[flat: figures.countSlot])  // once, globally
        figures.add(step.sums, to: &sums)
        // Clipping, weight decay, update, EMA on the global gradient (dense when a region went dense this step).
        // ZeRO-1's overlapped gather: the update goes piece by piece, each piece's all-gather started once updated.
        let start = model.layerTimer == nil ? 0 : LayerTimer.now()
        step.gather?.begin()
        try opt.apply(
            p, optState, rowSparse: step.sparse != nil && step.rowSparse?.stepRows == nil ? nil : step.rowSparse,
            pool: context.pool, sumOverRanks: sumOverRanks, pieces: step.gather?.pieces ?? [],
            pieceUpdated: { try step.gather?.start(piece: $0, of: p.values, comm: comm) })
        model.layerTimer?.addUpdate(since: start)
        // ZeRO-1 without it: every rank's updated part to every rank at once.
        if step.gather == nil { try step.shard?.gatherValues(p, comm: comm) }
        p.applyConstraints()  // Keras: after each update
        return true
    }

    /// Reads and checks this rank's rows, runs forward and the loss: per-sample losses in `values`, the gradient
    /// of their sum divided by `count` (with respect to the logits when the loss consumes them) in the
    /// output-gradient slot. When the output carries a timestep mask, `mask` holds it (one 0/1 per loss value) and,
    /// in training, `kept` its GLOBAL sum (summed over ranks): the gradient is then divided by `kept` instead,
    /// Keras's `apply_mask`, and the caller multiplies it by the mask. `count` 0: no gradient is wanted.
    private func forwardAndLoss(
        _ shard: Batches.Shard, of data: Dataset, training: Bool, step: Int, count: Int, next: Upcoming? = nil,
        weights: WeightGather? = nil
    ) throws -> (y: Tensor, yPred: Tensor, values: Tensor, gradient: Tensor, mask: Tensor?, kept: Double) {
        let rows = shard.samples, timer = model.layerTimer
        var mark = timer == nil ? 0 : LayerTimer.now()
        let x = work.buffer(.input, [rows.count] + data.xShape)
        let y = work.buffer(.target, [rows.count] + data.yShape!)
        try data.read(rows, x: x, y: y)
        if let next, !next.rows.isEmpty { next.data.prefetch(next.rows) }  // read in the background while this step computes
        try model.checkInputs(x, rows: rows, data: data)
        try Trainer.checkTargets(y, rows: rows, data: data, model: model)
        timer?.add(.data, since: mark)
        let yPred = try model.forward(
            x, training: training, step: step, firstRow: shard.firstRow, threads: context.threads, pool: context.pool,
            sumOverRanks: training ? sumOverRanks : nil, layerStart: { try weights?.wait(forLayer: $0) })
        mark = timer == nil ? 0 : LayerTimer.now()
        let values = work.buffer(.lossValues, [rows.count * perSample])
        let gradient = work.buffer(.outputGradient, yPred.shape)
        let mask = figures.keptSlot == nil ? nil : model.outputMask
        let kept = mask.map { training ? keptOverRanks(Kernels.sum($0)) : Kernels.sum($0) } ?? Double(count)
        let scale = Float(divideNoNaN(count == 0 ? 0 : 1, mask == nil ? Double(count) : kept))
        if let fused {
            fused.loss.compute(yTrue: y, logits: fused.layer.logits, yPred: yPred, scale: scale, values: values, gradient: gradient)
        } else {
            loss!.compute(yTrue: y, yPred: yPred, scale: scale, values: values, gradient: gradient)
        }
        timer?.add(.loss, since: mark)
        return (y, yPred, values, gradient, mask, kept)
    }

    /// The sum over ranks of each rank's kept (unmasked) output values: one small all-reduce per training step of a
    /// model whose output carries a mask, in `sumOverRanks` like the synchronized batch statistics.
    private func keptOverRanks(_ local: Double) -> Double {
        var k = [local]
        sumOverRanks(&k)
        return k[0]
    }

    // MARK: evaluate and predict

    /// Loss and metric sums over `data` (each sample once, sharded), summed over ranks: `[loss, metrics..., count]`.
    /// `then`: what is read after the last batch (the next epoch's first, for `fit`'s validation).
    func evaluateSums(_ data: Dataset, weights: SampleWeights?, then: Upcoming? = nil) throws -> [Double] {
        let batches = Batches(sampleCount: data.count, batchSize: plan.batch, shuffle: false, seed: model.seed, epoch: 0)
        // A masked output's batch loss is `sum(w m l) / kept` over the global batch: each batch's sum and kept count
        // ride in the one all-reduce after the figures' sums, then each batch adds its loss times its `count`.
        let masked = figures.keptSlot != nil
        var sums = [Double](repeating: 0, count: figures.count + (masked ? 2 * batches.count : 0))
        let tail = Tensor(zeros: [figures.count])
        for k in 0..<batches.count {
            let shard = batches.shard(k, rank: comm.rank, size: comm.size)
            if shard.isEmpty { continue }
            let next = k + 1 < batches.count ? (data, batches.shard(k + 1, rank: comm.rank, size: comm.size).samples) : then
            let (y, yPred, values, _, mask, kept) = try forwardAndLoss(shard, of: data, training: false, step: 0, count: 0, next: next)
            try figures.accumulate(
                yTrue: y, yPred: yPred, lossValues: values, weights: sampleWeights(weights, shard, y),
                perSample: perSample, mask: mask, scratch: work.buffer(.metricValues, values.shape), into: tail)
            if masked {
                sums[figures.count + 2 * k] += Double(tail[flat: 0])
                sums[figures.count + 2 * k + 1] += kept
                tail[flat: 0] = 0
            }
            tail[flat: 0] += Float(model.activity.sum * Double(perSample))
            figures.add(tail, to: &sums)
        }
        try comm.allReduceSum(&sums)
        for k in 0..<(masked ? batches.count : 0) {
            let count = Double(batches.shard(k, rank: 0, size: 1).global * perSample)
            sums[0] += count * divideNoNaN(sums[figures.count + 2 * k], sums[figures.count + 2 * k + 1])
        }
        sums.removeLast(sums.count - figures.count)
        sums[0] += model.parameters!.regularizationPenalty() * sums[figures.countSlot]  // Keras's loss includes it
        return sums
    }

    /// This shard's sample weights (one per row), or nil without weights.
    private func sampleWeights(_ weights: SampleWeights?, _ shard: Batches.Shard, _ y: Tensor) -> Tensor? {
        guard let weights else { return nil }
        let w = work.buffer(.sampleWeights, [shard.samples.count])
        weights.weights(rows: shard.samples, y: y, into: w)
        return w
    }

    /// Keras's `evaluate`: `[loss, metric...]` over the whole set, exact (each sample once).
    func evaluate(verbose: Int) throws -> [Double] {
        do {
            let start = Date()
            let logs = epochLogs(try evaluateSums(plan.data, weights: plan.weights))
            if context.isPrintingRank && verbose > 0 {
                let steps = (plan.data.count + plan.batch - 1) / plan.batch
                let per = Date().timeIntervalSince(start) / Double(max(steps, 1))
                let t =
                    per >= 1
                    ? String(format: "%.0fs/step", per)
                    : per >= 1e-3
                        ? String(format: "%.0fms/step", per * 1e3)
                        : String(format: "%.0fus/step", per * 1e6)
                print("\(steps)/\(steps) - \(ProgressBar.elapsed(Date().timeIntervalSince(start))) - \(t)" + ProgressBar.metrics(logs))
            }
            return [logs["loss"]!] + metrics.map { logs[$0.name]! }
        } catch {
            try comm.failAllRanks(error)
        }
    }

    /// Keras's `predict`: the outputs of every sample in row order, on every rank (each rank fills its rows).
    func predict() throws -> Tensor {
        do {
            let data = plan.data
            let out = Tensor(zeros: [data.count] + model.outputShape!)
            let batches = Batches(sampleCount: data.count, batchSize: plan.batch, shuffle: false, seed: model.runSeed, epoch: 0)
            for k in 0..<batches.count {
                let shard = batches.shard(k, rank: comm.rank, size: comm.size)
                if shard.isEmpty { continue }
                let x = work.buffer(.input, [shard.samples.count] + data.xShape)
                try data.read(shard.samples, x: x, y: nil)
                try model.checkInputs(x, rows: shard.samples, data: data)
                let y = model.forward(x, training: false, step: 0, firstRow: shard.firstRow, threads: context.threads, pool: context.pool)
                Kernels.copy(y, into: out.rows(shard.samples.indices))  // unshuffled: positions are sample rows
            }
            try comm.allReduceSum(out)
            return out
        } catch {
            try comm.failAllRanks(error)
        }
    }

    /// Epoch figures from sums `[loss, metrics..., count]`: sample-weighted means, as Keras reports them.
    func epochLogs(_ sums: [Double]) -> [String: Double] { figures.logs(sums) }
}
