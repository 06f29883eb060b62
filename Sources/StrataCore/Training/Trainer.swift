import Foundation

/// `fit`, `evaluate` and `predict`: the data-parallel training loop of DESIGN.md, identical on 1 and N ranks.
///
/// Each step: this rank reads its shard `[r*n/p, (r+1)*n/p)` of the global batch of `n` rows, runs forward, the
/// loss (gradient scaled by `1/n`), backward, then ONE all-reduce sums the gradient buffer with the loss and metric
/// sums riding along, and the optimizer updates. The same seed gives the same weights on any rank count.
extension Sequential {
    /// Keras `fit(x, y, batch_size, epochs, verbose, callbacks, validation_split, validation_data, shuffle,
    /// initial_epoch)`. `x`, `y` and the `validationData` pair are any ``TensorConvertible`` (a `Tensor`, `[[Float]]`,
    /// `[Int]`, ...: any mix). `batchSize` is the GLOBAL batch (default 32). Pass `communicator:` (e.g.
    /// `try MPICommunicator.automatic()`) to train data-parallel.
    @discardableResult
    public func fit(_ x: some TensorConvertible, _ y: some TensorConvertible, batchSize: Int? = nil, epochs: Int = 1, verbose: Int = 1,
                    callbacks: [Callback] = [], validationSplit: Double = 0,
                    validationData: (any TensorConvertible, any TensorConvertible)? = nil,
                    shuffle: Bool = true, initialEpoch: Int = 0, seed: UInt64? = nil,
                    communicator: Communicator? = nil) throws -> History {
        let (x, y) = try (x.makeTensor(), y.makeTensor())
        try checkRows(x, y)
        let validation = try validationData.map { TensorDataset(x: try $0.0.makeTensor(), y: try $0.1.makeTensor(), label: "validation x") }
        return try fit(TensorDataset(x: x, y: y), batchSize: batchSize, epochs: epochs, verbose: verbose,
                       callbacks: callbacks, validationSplit: validationSplit, validationData: validation,
                       shuffle: shuffle, initialEpoch: initialEpoch, seed: seed, communicator: communicator)
    }

    /// `fit` on any `Dataset` (in memory, or an HDF5 file read row by row).
    @discardableResult
    public func fit(_ data: Dataset, batchSize: Int? = nil, epochs: Int = 1, verbose: Int = 1,
                    callbacks: [Callback] = [], validationSplit: Double = 0, validationData: Dataset? = nil,
                    shuffle: Bool = true, initialEpoch: Int = 0, seed: UInt64? = nil,
                    communicator: Communicator? = nil, resume: TrainingState? = nil) throws -> History {
        let comm = try Sequential.resolveCommunicator(communicator)
        self.communicator = comm
        var train: Dataset = data
        var validation = validationData
        if validationSplit != 0 {
            guard validationSplit > 0 && validationSplit < 1 else {
                throw StrataError.invalidArgument("validationSplit must be in (0, 1), got \(validationSplit)", hint: "e.g. 0.2")
            }
            if validation == nil {
                let cut = Int(Double(data.count) * (1 - validationSplit))
                train = DatasetSlice(data, 0..<cut)
                validation = DatasetSlice(data, cut..<data.count)
            }
        }
        let batch = batchSize ?? fixedBatchSize ?? 32
        // A model without an initialisation seed or weights yet (built below) draws its weights from fit's seed.
        if let seed, !isBuilt, !hasSeed { adoptSeeds(initialization: seed) }
        // Pre-flight checks on every rank; any rank's failure becomes the same error on every rank.
        try agreeOnErrors(comm) {
            if let seed, let resume, seed != resume.seed {
                throw StrataError.usage("the checkpoint continues a run with seed \(resume.seed), this run asks for seed \(seed)",
                                        hint: "resume with the checkpoint's seed, or start a new run")
            }
            guard batch > 0 else {
                throw StrataError.invalidArgument("batchSize must be positive, got \(batch)", hint: "e.g. batchSize: 32")
            }
            guard epochs >= 0 && initialEpoch >= 0 else {
                throw StrataError.invalidArgument("epochs (\(epochs)) and initialEpoch (\(initialEpoch)) must not be negative", hint: "")
            }
            try prepare(for: train, role: "training data", requireTargets: true)
            if let validation { try prepare(for: validation, role: "validation data", requireTargets: true) }
            try checkStatefulBatching(batch: batch, shuffle: shuffle, samples: train.count, rank: comm.rank, size: comm.size)
            try checkBatchLimits(batch: batch, samples: train.count, ranks: comm.size)
            if let validation {
                try checkStatefulBatching(batch: batch, shuffle: false, samples: validation.count, rank: comm.rank, size: comm.size)
                try checkBatchLimits(batch: batch, samples: validation.count, ranks: comm.size)
            }
        }
        let drawn = seed == nil && resume == nil && seedDrawn
        try synchronizeStart(comm, seed: seed ?? resume?.seed, training: true,
                             datasets: [train] + (validation.map { [$0] } ?? []), batch: batch)
        if drawn && isPrintingRank && verbose > 0 { print("strata: no seed given; this run's seed is \(runSeed) (pass seed: \(runSeed) to repeat it)") }

        var run = ""
        try agreeOnErrors(comm) {   // a read error on one rank is an error on every rank, never a hang
            run = try runFingerprint(train: train, validation: validation, batch: batch, shuffle: shuffle)
            if let resume, !resume.runFingerprint.isEmpty, resume.runFingerprint != run {
                throw StrataError.usage("the checkpoint was written by a run with other data or settings:\n  checkpoint: \(resume.runFingerprint)\n  this run:   \(run)",
                                        hint: "resume with the same training and validation data, batchSize, shuffle, loss and metrics, or start a new run")
            }
        }
        let state: TrainingState
        if let resume {
            state = resume
            state.resumed = true
            for (cb, s) in zip(callbacks, state.callbackStates) { cb.checkpointState = s }
            for (cb, t) in zip(callbacks, state.callbackTensors) { cb.checkpointTensors = t }
        } else {
            state = TrainingState(seed: runSeed)
            state.epoch = initialEpoch
        }
        state.seed = runSeed
        state.initSeed = self.seed
        state.worldSize = comm.size
        state.threads = BLAS.threads
        state.runFingerprint = run
        rowSparse = rowSparseUpdates && comm.size == 1 ? RowSparseStep(layers: layers, optimizer: optimizer) : nil
        trainingState = state
        defer { state.resumed = false }
        let history = state.history
        let steps = (train.count + batch - 1) / batch
        history.params = ["verbose": verbose, "epochs": epochs, "steps": steps]
        stopTraining = false

        do {
            for cb in callbacks { try cb.onTrainBegin(model: self) }
            state.callbackStates = callbacks.map(\.checkpointState)  // a mid-epoch checkpoint holds them from the start
            state.callbackTensors = callbacks.map(\.checkpointTensors)
            var lastLogs: [String: Double] = [:]
            if state.stopped && isPrintingRank && verbose > 0 {
                print("Training had stopped at epoch \(state.epoch) (a callback ended it); resuming trains no further.")
            }
            epochLoop: while !state.stopped && state.epoch < epochs {
                let epoch = state.epoch
                if state.batchInEpoch == 0 { for cb in callbacks { try cb.onEpochBegin(epoch, model: self) } }
                if isPrintingRank && verbose > 0 && epochs > 1 && (state.batchInEpoch == 0 || state.resumed) {
                    print("Epoch \(epoch + 1)/\(epochs)")
                }
                let batches = Batches(sampleCount: train.count, batchSize: batch, shuffle: shuffle, seed: runSeed, epoch: epoch)
                let bar = ProgressBar(target: batches.count, verbose: isPrintingRank ? verbose : 0)
                if state.partialSums.count != metrics.count + 2 { state.partialSums = [Double](repeating: 0, count: metrics.count + 2) }
                // A run resumed after the epoch's last batch still reports that epoch's training figures.
                var logs: [String: Double] = state.batchInEpoch > 0 ? epochLogs(state.partialSums) : [:]
                while state.batchInEpoch < batches.count {
                    let k = state.batchInEpoch
                    if !stopTraining { for cb in callbacks { try cb.onBatchBegin(k, model: self) } }
                    // A stop asked for by any rank's callbacks rides in this step's all-reduce; then every rank
                    // discards this step and stops after the same batch (no rank is left waiting).
                    guard try trainStep(batches.batch(k), data: train, comm: comm, sums: &state.partialSums,
                                        stopRequested: stopTraining) else {
                        stopTraining = true
                        break
                    }
                    state.batchInEpoch += 1
                    logs = epochLogs(state.partialSums)
                    trainingState = state
                    for cb in callbacks { try cb.onBatchEnd(k, logs: logs, model: self) }
                    bar.update(state.batchInEpoch, logs: logs, finalize: false)
                }
                stopTraining = try comm.any(stopTraining)
                if let validation, !stopTraining || state.batchInEpoch == batches.count {
                    let v = try evaluateSums(validation, batchSize: batch, comm: comm)
                    for (key, value) in epochLogs(v) { logs["val_" + key] = value }
                }
                bar.update(state.batchInEpoch, logs: logs, finalize: true)
                history.append(epoch: epoch, logs: logs)
                lastLogs = logs
                state.epoch += 1
                state.batchInEpoch = 0
                state.partialSums = [Double](repeating: 0, count: metrics.count + 2)
                state.callbackStates = callbacks.map(\.checkpointState)
                for cb in callbacks { try cb.onEpochEnd(epoch, logs: logs, model: self) }
                state.callbackStates = callbacks.map(\.checkpointState)
                state.callbackTensors = callbacks.map(\.checkpointTensors)
                stopTraining = try comm.any(stopTraining)
                if stopTraining {
                    state.stopped = true
                    break epochLoop
                }
            }
            for cb in callbacks { try cb.onTrainEnd(model: self, logs: lastLogs) }
        } catch {
            try failAllRanks(comm, error)
        }
        return history
    }

    /// Keras `evaluate(x, y, batch_size)`: `[loss, metric...]` over the whole set, exact (each sample once); `x`
    /// and `y` are any ``TensorConvertible``. `returnDict: true` gives the same figures by name.
    @discardableResult
    public func evaluate(_ x: some TensorConvertible, _ y: some TensorConvertible, batchSize: Int? = nil, verbose: Int = 1,
                         communicator: Communicator? = nil) throws -> [Double] {
        let (x, y) = try (x.makeTensor(), y.makeTensor())
        try checkRows(x, y)
        return try evaluate(TensorDataset(x: x, y: y), batchSize: batchSize, verbose: verbose, communicator: communicator)
    }

    /// `evaluate` on any `Dataset`.
    @discardableResult
    public func evaluate(_ data: Dataset, batchSize: Int? = nil, verbose: Int = 1,
                         communicator: Communicator? = nil) throws -> [Double] {
        let comm = try Sequential.resolveCommunicator(communicator)
        self.communicator = comm
        let batch = batchSize ?? fixedBatchSize ?? 32
        try agreeOnErrors(comm) {
            guard batch > 0 else { throw StrataError.invalidArgument("batchSize must be positive, got \(batch)", hint: "") }
            try prepare(for: data, role: "evaluation data", requireTargets: true)
            try checkStatefulBatching(batch: batch, shuffle: false, samples: data.count, rank: comm.rank, size: comm.size)
            try checkBatchLimits(batch: batch, samples: data.count, ranks: comm.size)
        }
        try synchronizeStart(comm, seed: nil, datasets: [data], batch: batch)
        do {
            let start = Date()
            let sums = try evaluateSums(data, batchSize: batch, comm: comm)
            let logs = epochLogs(sums)
            if isPrintingRank && verbose > 0 {
                let steps = (data.count + batch - 1) / batch
                let per = Date().timeIntervalSince(start) / Double(max(steps, 1))
                let t = per >= 1 ? String(format: "%.0fs/step", per) : per >= 1e-3 ? String(format: "%.0fms/step", per * 1e3)
                    : String(format: "%.0fus/step", per * 1e6)
                print("\(steps)/\(steps) - \(ProgressBar.elapsed(Date().timeIntervalSince(start))) - \(t)" + ProgressBar.metrics(logs))
            }
            return [logs["loss"]!] + metrics.map { logs[$0.name]! }
        } catch {
            try failAllRanks(comm, error)
        }
    }

    /// Keras `predict(x, batch_size)`: the outputs of every sample in row order (on every rank); `x` is any
    /// ``TensorConvertible``.
    public func predict(_ x: some TensorConvertible, batchSize: Int? = nil, communicator: Communicator? = nil) throws -> Tensor {
        try predict(TensorDataset(x: x.makeTensor(), y: nil), batchSize: batchSize, communicator: communicator)
    }

    /// `predict` on any `Dataset` (targets, if any, are ignored).
    public func predict(_ data: Dataset, batchSize: Int? = nil, communicator: Communicator? = nil) throws -> Tensor {
        let comm = try Sequential.resolveCommunicator(communicator)
        self.communicator = comm
        let batch = batchSize ?? fixedBatchSize ?? 32
        try agreeOnErrors(comm) {
            guard batch > 0 else { throw StrataError.invalidArgument("batchSize must be positive, got \(batch)", hint: "") }
            try prepare(for: data, role: "prediction input", requireTargets: false)
            try checkStatefulBatching(batch: batch, shuffle: false, samples: data.count, rank: comm.rank, size: comm.size)
            try checkBatchLimits(batch: batch, samples: data.count, ranks: comm.size)
        }
        try synchronizeStart(comm, seed: nil, datasets: [data], batch: batch)
        do {
            let out = Tensor(zeros: [data.count] + outputShape!)
            let batches = Batches(sampleCount: data.count, batchSize: batch, shuffle: false, seed: seed, epoch: 0)
            var xWork = Workspace()
            for k in 0..<batches.count {
                let global = batches.batch(k)
                let mine = Batches.shard(global.count, rank: comm.rank, size: comm.size)
                if mine.isEmpty { continue }
                let x = xWork.buffer(0, [mine.count] + data.xShape)
                let rows = global[(global.startIndex + mine.lowerBound)..<(global.startIndex + mine.upperBound)]
                try data.read(rows, x: x, y: nil)
                try checkInputs(x, rows: rows, data: data)
                let y = forward(x, training: false, step: 0, firstRow: mine.lowerBound)
                Kernels.copy(y, into: out.rows((global.startIndex + mine.lowerBound)..<(global.startIndex + mine.upperBound)))
            }
            try comm.allReduceSum(out)
            return out
        } catch {
            try failAllRanks(comm, error)
        }
    }

    /// Checks a dataset against the compiled model (shapes, values, labels) without training: what
    /// `strata validate` runs.
    public func checkData(_ data: Dataset, role: String) throws {
        try prepare(for: data, role: role, requireTargets: data.yShape != nil)
    }

    // MARK: internals

    /// One optimizer step on global batch `global`; returns false, without updating, when any rank asked to stop
    /// (`stopRequested` rides in the gradient all-reduce's last extra slot).
    func trainStep(_ global: ArraySlice<Int>, data: Dataset, comm: Communicator, sums: inout [Double],
                   stopRequested: Bool = false) throws -> Bool {
        let p = parameters!
        let opt = optimizer!, optState = optimizerState!
        let n = global.count
        let mine = Batches.shard(n, rank: comm.rank, size: comm.size)
        let rows = global[(global.startIndex + mine.lowerBound)..<(global.startIndex + mine.upperBound)]
        if let rowSparse { rowSparse.zeroGradients(p) } else { p.gradientBuffer.fill(0) }
        let perSample = (outputShape!.reduce(1, *)) / max(outputShape!.last ?? 1, 1)
        let scale = 1 / Float(n * perSample)
        if !rows.isEmpty {
            let x = trainWork.buffer(0, [rows.count] + data.xShape)
            let y = trainWork.buffer(1, [rows.count] + data.yShape!)
            try data.read(rows, x: x, y: y)
            try checkInputs(x, rows: rows, data: data)
            try checkTargets(y, rows: rows, data: data)
            let yPred = forward(x, training: true, step: optState.iterations, firstRow: mine.lowerBound)
            let values = trainWork.buffer(2, [rows.count * perSample])
            let dPred = trainWork.buffer(3, yPred.shape)
            let fromLogits = loss!.compute(yTrue: y, yPred: yPred, logits: outputLogits(), scale: scale,
                                           values: values, gradient: dPred)
            backward(dPred, fromLogits: fromLogits, step: optState.iterations, firstRow: mine.lowerBound)
            let extras = p.extraSlots
            extras[flat: 0] = Float(Kernels.sum(values))
            for (j, m) in metrics.enumerated() {
                try m.values(yTrue: y, yPred: yPred, into: values)
                extras[flat: 1 + j] = Float(Kernels.sum(values))
            }
        }
        p.extraSlots[flat: metrics.count + 1] = stopRequested ? 1 : 0
        try comm.allReduceSum(p.gradientBuffer)
        let extras = p.extraSlots
        if extras[flat: metrics.count + 1] > 0 { return false }
        for j in 0...metrics.count { sums[j] += Double(extras[flat: j]) }
        sums[metrics.count + 1] += Double(n * perSample)
        if let rowSparse {
            rowSparse.update(opt, p, optState, lr: opt.effectiveLearningRate(iteration: optState.iterations))
        } else {
            opt.update(values: p.values, gradients: p.gradients, slots: optState.slots, scalars: &optState.scalars,
                       iteration: optState.iterations, lr: opt.effectiveLearningRate(iteration: optState.iterations))
        }
        optState.iterations += 1
        return true
    }

    /// Loss and metric sums over `data` (each sample once, sharded), summed over ranks: `[loss, metrics..., count]`.
    func evaluateSums(_ data: Dataset, batchSize: Int, comm: Communicator) throws -> [Double] {
        var sums = [Double](repeating: 0, count: metrics.count + 2)
        let perSample = (outputShape!.reduce(1, *)) / max(outputShape!.last ?? 1, 1)
        let batches = Batches(sampleCount: data.count, batchSize: batchSize, shuffle: false, seed: seed, epoch: 0)
        var work = Workspace()
        for k in 0..<batches.count {
            let global = batches.batch(k)
            let mine = Batches.shard(global.count, rank: comm.rank, size: comm.size)
            sums[metrics.count + 1] += Double(global.count * perSample)
            if mine.isEmpty { continue }
            let rows = global[(global.startIndex + mine.lowerBound)..<(global.startIndex + mine.upperBound)]
            let x = work.buffer(0, [rows.count] + data.xShape)
            let y = work.buffer(1, [rows.count] + data.yShape!)
            try data.read(rows, x: x, y: y)
            try checkInputs(x, rows: rows, data: data)
            try checkTargets(y, rows: rows, data: data)
            let yPred = forward(x, training: false, step: 0, firstRow: mine.lowerBound)
            let values = work.buffer(2, [rows.count * perSample])
            let grad = work.buffer(3, yPred.shape)
            _ = loss!.compute(yTrue: y, yPred: yPred, logits: outputLogits(), scale: 0, values: values, gradient: grad)
            sums[0] += Kernels.sum(values)
            for (j, m) in metrics.enumerated() {
                try m.values(yTrue: y, yPred: yPred, into: values)
                sums[1 + j] += Kernels.sum(values)
            }
        }
        var reduced = Array(sums[0...metrics.count])
        try comm.allReduceSum(&reduced)
        for j in 0...metrics.count { sums[j] = reduced[j] }
        return sums
    }

    func epochLogs(_ sums: [Double]) -> [String: Double] {
        let count = max(sums[metrics.count + 1], 1)
        var logs = ["loss": sums[0] / count]
        for (j, m) in metrics.enumerated() { logs[m.name] = sums[1 + j] / count }
        return logs
    }

    /// Builds the model for the data's sample shape if needed, checks compile and the data's shapes and values.
    func prepare(for data: Dataset, role: String, requireTargets: Bool) throws {
        if !isBuilt {
            try build(inputShape: layers.first?.inputSpec?.shape == nil ? data.xShape : nil)
        }
        guard data.xShape == inputShape! else {
            throw StrataError.invalidData("\(role) (\(data.label)) has samples of shape \(data.xShape), the model expects \(inputShape!)",
                                          hint: "reshape the data, or change the first layer's input shape")
        }
        guard data.count > 0 else {
            throw StrataError.invalidData("\(role) (\(data.label)) has no samples", hint: "pass at least one sample")
        }
        if requireTargets {
            guard let yShape = data.yShape else {
                throw StrataError.invalidData("\(role) (\(data.label)) has no targets", hint: "pass y")
            }
            try resolveCompile(targetShape: yShape)
            let out = outputShape!
            if loss!.sparseTargets {
                let ok = yShape == Array(out.dropLast()) || yShape == Array(out.dropLast()) + [1]
                guard ok else {
                    throw StrataError.invalidData("\(role) targets have shape \(yShape); sparse_categorical_crossentropy needs one integer class per sample, shape \(Array(out.dropLast()) + [1])",
                                                  hint: "pass class ids, or use categorical_crossentropy with one-hot targets")
                }
            } else if yShape.reduce(1, *) != out.reduce(1, *) || yShape.last != out.last {
                let what = "\(role) targets have shape \(yShape), the model's output is \(out)"
                if out.last == 1 {
                    throw StrataError.invalidData(what, hint: "match the last layer's units to the targets")
                }
                throw StrataError.fixable(what, remedy: .oneHotTargets(classes: out.last ?? 0))
            }
        }
        try data.validateValues()
        if requireTargets && loss!.sparseTargets && data is TensorDataset {
            try checkTargets((data as! TensorDataset).y!, rows: 0..<data.count, data: data)
        }
    }

    /// Integer class ids in range for sparse losses (checked as rows are read too, for streamed data).
    func checkTargets(_ y: Tensor, rows: some Collection<Int>, data: Dataset) throws {
        guard loss!.sparseTargets else { return }
        let classes = outputShape!.last ?? 1
        let perRow = y.rowSize
        var it = rows.makeIterator()
        for r in 0..<(y.shape.first ?? 0) {
            let sample = it.next() ?? r
            for j in 0..<perRow {
                let v = y[flat: r * perRow + j]
                if v != v.rounded() || v < 0 || Int(v) >= classes {
                    throw StrataError.invalidData("\(data.label): label \(v) of sample \(sample) is not a class id in [0, \(classes))",
                                                  hint: "sparse_categorical_crossentropy needs integer labels below the output size \(classes)")
                }
            }
        }
    }

    func checkRows(_ x: Tensor, _ y: Tensor) throws {
        guard x.shape.first == y.shape.first else {
            throw StrataError.invalidData("x has \(x.shape.first ?? 0) samples but y has \(y.shape.first ?? 0)",
                                          hint: "x and y need one row per sample, in the same order")
        }
    }

    /// Stateful layers need fixed, unshuffled, whole batches that divide evenly over the ranks.
    func checkStatefulBatching(batch: Int, shuffle: Bool, samples: Int, rank: Int, size: Int) throws {
        guard layers.contains(where: { ($0 as? StatefulLayer)?.stateful == true }) else { return }
        guard let fixed = fixedBatchSize else {
            throw StrataError.usage("a stateful layer needs a fixed batch size", hint: "give the first layer batchInputShape: [batch, ...] or batchSize:")
        }
        if batch != fixed {
            throw StrataError.fixable("the batch size \(batch) differs from the model's fixed batch size \(fixed)",
                                      remedy: .argument("batchSize", value: "\(fixed)"))
        }
        if shuffle {
            throw StrataError.fixable("stateful layers carry state from sample i of one batch to sample i of the next; shuffling breaks that",
                                      remedy: .argument("shuffle", value: "false"))
        }
        if samples % fixed != 0 {
            throw StrataError.invalidData("\(samples) samples do not divide into batches of \(fixed)",
                                          hint: "a stateful model needs a sample count that is a multiple of the batch size; drop \(samples % fixed) samples")
        }
        if fixed % size != 0 {
            throw StrataError.invalidArgument("the stateful batch size \(fixed) does not divide over \(size) ranks",
                                              hint: "use a rank count that divides \(fixed)")
        }
        try shardStates(rank: rank, size: size)
    }

    /// Broadcasts rank 0's seeds, weights and optimizer state, and checks that all ranks run the same thing.
    /// `fitSeed` (or, `training`, else the initialisation seed) becomes the run seed; the weights are not touched.
    func synchronizeStart(_ comm: Communicator, seed fitSeed: UInt64?, training: Bool = false, datasets: [Dataset],
                          batch: Int) throws {
        let p = parameters!
        let explicitSeed = fitSeed ?? requestedSeed
        let fingerprint = "model=\(configFingerprint) params=\(p.count) extras=\(p.extras)"
            + " compile=\(compileSpec.map { "\($0.optimizer),\($0.loss),\($0.metrics)" } ?? "none")"
            + " seed=\(explicitSeed.map(String.init) ?? "drawn") batch=\(batch) data="
            + datasets.map { "\($0.count)x\($0.xShape)->\($0.yShape ?? [])" }.joined(separator: ",")
        // Throws the same error on every rank by itself (not inside agreeOnErrors, which would re-attribute it).
        try comm.verifyAgreement(fingerprint, what: "model, compile settings, seed, data or batch size")
        let run = fitSeed ?? (training ? seed : runSeed)
        var s = [seed, run].flatMap { [Double($0 >> 32), Double($0 & 0xFFFF_FFFF)] }
        try comm.broadcast(&s, root: 0)
        adoptSeeds(initialization: UInt64(s[0]) << 32 | UInt64(s[1]), run: UInt64(s[2]) << 32 | UInt64(s[3]))
        try comm.broadcast(p.values, root: 0)
        if let st = optimizerState {
            for slot in st.slots { try comm.broadcast(slot, root: 0) }
            var scalars = st.scalars + [Double(st.iterations)]
            try comm.broadcast(&scalars, root: 0)
            st.iterations = Int(scalars.removeLast())
            st.scalars = scalars
        }
    }

    /// What a run trains on, whatever the rank count: data sizes and shapes, a hash of a few samples (first,
    /// middle, last) of each set, batch size, shuffle, loss and metrics. A checkpoint records it so that resuming
    /// with other data or settings is one clear error instead of a silently different run.
    func runFingerprint(train: Dataset, validation: Dataset?, batch: Int, shuffle: Bool) throws -> String {
        func describe(_ d: Dataset) throws -> String {
            var hash: UInt64 = 0xcbf2_9ce4_8422_2325   // FNV-1a over the sampled rows' bits
            for row in Set([0, d.count / 2, d.count - 1]).sorted() where row >= 0 {
                let x = Tensor(zeros: [1] + d.xShape)
                let y = d.yShape.map { Tensor(zeros: [1] + $0) }
                try d.read([row][...], x: x, y: y)
                for v in x.scalars + (y?.scalars ?? []) {
                    hash = (hash ^ UInt64(v.bitPattern)) &* 0x100_0000_01b3
                }
            }
            return "\(d.count)x\(d.xShape)->\(d.yShape ?? []) rows-hash=\(String(hash, radix: 16))"
        }
        return "train=\(try describe(train)) validation=\(try validation.map(describe) ?? "none") batch=\(batch) shuffle=\(shuffle)"
            + " loss=\(loss?.name ?? "none") metrics=\(metrics.map(\.name))"
    }

    /// A deterministic description of the architecture (for cross-rank agreement checks).
    public var configFingerprint: String {
        layers.map { "\($0.className)(\(JSONValue.object($0.config).jsonText))" }.joined(separator: ";")
            + " input=\(inputShape ?? [])"
    }

    /// Runs `body` on every rank; if it fails on any rank, every rank throws the same error (naming the rank).
    func agreeOnErrors(_ comm: Communicator, _ body: () throws -> Void) throws {
        var failure: Error?
        do { try body() } catch { failure = error }
        var flags = [Double](repeating: 0, count: comm.size)
        if failure != nil { flags[comm.rank] = 1 }
        try comm.allReduceSum(&flags)
        guard let bad = flags.firstIndex(where: { $0 != 0 }) else { return }
        // Every rank, the failing one included, joins the broadcast of its message (else the others hang in it).
        let text = try comm.broadcast(failure.map { ($0 as? LocalizedError)?.errorDescription ?? "\($0)" } ?? "", root: bad)
        // A rank that failed the same way throws its own error (front ends may reword it, e.g. the CLI's flags).
        if let failure, bad == comm.rank || (failure as? LocalizedError)?.errorDescription == text { throw failure }
        throw StrataError.distributed(rank: bad, text)
    }

    /// An error during training on one rank: on one process it is thrown to the caller; under several ranks
    /// it ends every rank at once with one message naming this rank (never a hang waiting in a collective).
    func failAllRanks(_ comm: Communicator, _ error: Error) throws -> Never {
        if comm.size == 1 { throw error }
        let text = (error as? LocalizedError)?.errorDescription ?? "\(error)"
        comm.abort("strata: rank \(comm.rank) of \(comm.size) failed: \(text)", code: 1)
    }

    static func resolveCommunicator(_ given: Communicator?) throws -> Communicator {
        if let given { return given }
        if let n = SingleProcess.launchedAsOneOfSeveralRanks {
            throw StrataError.usage("this process is one of \(n) ranks started by mpirun/srun, but fit/evaluate/predict got no communicator, so every rank would train its own copy",
                                    hint: "pass communicator: try MPICommunicator.automatic() (import Strata), or run a single process without mpirun")
        }
        return SingleProcess()
    }
}

/// A layer that carries state across batches when configured as stateful (RNNs).
public protocol StatefulLayer: Layer {
    var stateful: Bool { get }
}
