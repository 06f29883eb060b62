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
                    for cb in callbacks { try cb.onBatchEnd(k, logs: logs, context: context) }
                    bar.update(state.batchInEpoch, logs: logs, finalize: false)
                }
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

        init(_ model: Sequential, comm: Communicator) {
            let p = model.parameters!
            buffer = Tensor(zeros: [model.stepBufferCount])
            sums = buffer.rows(p.count..<buffer.count)
            p.useGradients(in: buffer)
            let options = model.communication
            sparse = SparseRowExchange(layers: model.layers, comm: comm, options: options)
            rowSparse =
                model.rowSparseUpdates && (comm.size == 1 || sparse != nil)
                ? RowSparseStep(layers: model.layers, optimizer: model.optimizer) : nil
            buckets = GradientBuckets(model, tailCount: sums.count, excluded: sparse?.excluded ?? [], options: options)
            shard = OptimizerShard(model, comm: comm, sparse: sparse)
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
        if let rowSparse = step.rowSparse { rowSparse.zeroGradients(step.buffer) } else { Kernels.fill(step.buffer, 0, pool: context.pool) }
        let n = shard.global * perSample
        let flight = GradientBuckets.Flight(step.buckets, buffer: step.buffer, comm: comm, shard: step.shard)
        if !shard.isEmpty {
            let (y, yPred, values, gradient) = try forwardAndLoss(
                shard, of: plan.data, training: true, step: optState.iterations,
                scale: 1 / Float(n), next: next)
            let w = sampleWeights(plan.weights, shard, y)
            if let w { LossKernels.scaleSamples(gradient, by: w) }  // d(sum(w l) / n)
            // The sums first, so they travel (alone, small) while backward runs.
            try figures.accumulate(
                yTrue: y, yPred: yPred, lossValues: values, weights: w, perSample: perSample,
                scratch: work.buffer(.metricValues, values.shape), into: step.sums.rows(0..<figures.count))
            step.sums[flat: 0] += Float(model.activity.sum * Double(perSample))  // (penalty / rows) * values
            step.sums[flat: figures.count] = context.stopTraining ? 1 : 0
            // Synchronized batch statistics all-reduce inside forward and backward, and a rank without rows joins
            // them all at once: every rank must start its collectives in the same order, so with them the buckets
            // start only after backward.
            let early = !model.hasGlobalBatchStatistics
            if early { try flight.layerDone(model.layers.count) }
            try model.backward(
                gradient, fromLogits: fused != nil, step: optState.iterations, firstRow: shard.firstRow,
                threads: context.threads, pool: context.pool, sumOverRanks: sumOverRanks,
                activityScale: 1 / Float(shard.global), layerDone: { if early { try flight.layerDone($0) } })
        } else {
            if model.hasGlobalBatchStatistics { model.joinGlobalStatistics(step: optState.iterations, sumOverRanks: sumOverRanks) }
            step.sums[flat: figures.count] = context.stopTraining ? 1 : 0
        }
        try flight.layerDone(nil)  // every dense bucket in flight; the rows travel meanwhile
        if let sparse = step.sparse {
            let rows = try sparse.exchange(p.gradients, comm: comm, active: !shard.isEmpty)
            step.rowSparse?.stepRows = rows
            if rows == nil { step.rowSparse?.invalidate() }
        }
        try flight.finish()
        step.shard?.place(into: p)
        if step.sums[flat: figures.count] > 0 { return false }
        p.addRegularization(toLossSum: step.sums, count: step.sums[flat: figures.countSlot])  // once, globally
        figures.add(step.sums, to: &sums)
        // Clipping, weight decay, update, EMA on the global gradient (dense when a region went dense this step).
        let start = model.layerTimer == nil ? 0 : LayerTimer.now()
        opt.apply(
            p, optState, rowSparse: step.sparse != nil && step.rowSparse?.stepRows == nil ? nil : step.rowSparse,
            pool: context.pool, sumOverRanks: sumOverRanks)
        model.layerTimer?.addUpdate(since: start)
        try step.shard?.gatherValues(p, comm: comm)  // ZeRO-1: every rank's updated part to every rank
        p.applyConstraints()  // Keras: after each update
        return true
    }

    /// Reads and checks this rank's rows, runs forward and the loss: per-sample losses in `values`, the scaled
    /// gradient (with respect to the logits when the loss consumes them) in the output-gradient slot.
    private func forwardAndLoss(
        _ shard: Batches.Shard, of data: Dataset, training: Bool, step: Int, scale: Float, next: Upcoming? = nil
    ) throws -> (y: Tensor, yPred: Tensor, values: Tensor, gradient: Tensor) {
        let rows = shard.samples
        let x = work.buffer(.input, [rows.count] + data.xShape)
        let y = work.buffer(.target, [rows.count] + data.yShape!)
        try data.read(rows, x: x, y: y)
        if let next, !next.rows.isEmpty { next.data.prefetch(next.rows) }  // read in the background while this step computes
        try model.checkInputs(x, rows: rows, data: data)
        try Trainer.checkTargets(y, rows: rows, data: data, model: model)
        let yPred = model.forward(
            x, training: training, step: step, firstRow: shard.firstRow, threads: context.threads, pool: context.pool,
            sumOverRanks: training ? sumOverRanks : nil)
        let values = work.buffer(.lossValues, [rows.count * perSample])
        let gradient = work.buffer(.outputGradient, yPred.shape)
        if let fused {
            fused.loss.compute(yTrue: y, logits: fused.layer.logits, yPred: yPred, scale: scale, values: values, gradient: gradient)
        } else {
            loss!.compute(yTrue: y, yPred: yPred, scale: scale, values: values, gradient: gradient)
        }
        return (y, yPred, values, gradient)
    }

    // MARK: evaluate and predict

    /// Loss and metric sums over `data` (each sample once, sharded), summed over ranks: `[loss, metrics..., count]`.
    /// `then`: what is read after the last batch (the next epoch's first, for `fit`'s validation).
    func evaluateSums(_ data: Dataset, weights: SampleWeights?, then: Upcoming? = nil) throws -> [Double] {
        var sums = [Double](repeating: 0, count: figures.count)
        let tail = Tensor(zeros: [figures.count])
        let batches = Batches(sampleCount: data.count, batchSize: plan.batch, shuffle: false, seed: model.seed, epoch: 0)
        for k in 0..<batches.count {
            let shard = batches.shard(k, rank: comm.rank, size: comm.size)
            if shard.isEmpty { continue }
            let next = k + 1 < batches.count ? (data, batches.shard(k + 1, rank: comm.rank, size: comm.size).samples) : then
            let (y, yPred, values, _) = try forwardAndLoss(shard, of: data, training: false, step: 0, scale: 0, next: next)
            try figures.accumulate(
                yTrue: y, yPred: yPred, lossValues: values, weights: sampleWeights(weights, shard, y),
                perSample: perSample, scratch: work.buffer(.metricValues, values.shape), into: tail)
            tail[flat: 0] += Float(model.activity.sum * Double(perSample))
            figures.add(tail, to: &sums)
        }
        try comm.allReduceSum(&sums)
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
