/// What a run reads and how, settled by the pre-flight before its first step.
struct RunPlan {
    /// The training data (`fit`), or the data to evaluate or predict.
    let data: Dataset
    /// `fit`'s validation data (given, or the last `validationSplit` of `data`).
    let validation: Dataset?
    /// The GLOBAL batch size.
    let batch: Int
    let shuffle: Bool
    /// Whether the run computes the loss (`fit`, `evaluate`), not only outputs (`predict`).
    let hasTargets: Bool
    /// Sample or class weights of `data` and sample weights of `validation` (Keras's `sample_weight`,
    /// `class_weight`, the third entry of `validation_data`).
    var weights: SampleWeights? = nil
    var validationWeights: SampleWeights? = nil
}

/// The one pre-flight of `fit`, `evaluate` and `predict`, and the checks it is made of.
extension Trainer {
    /// `training` (fit): the run seed is fit's `seed`, else the checkpoint's, else the model's; evaluate and predict
    /// keep the last run's. On every rank: the batch size (given, the model's fixed one, or 32), the validation split, the data's
    /// shapes and values against the model (building it for the data when needed), the stateful batching rules.
    /// Any rank's failure is the same error on every rank. Then every rank checks that all run the same model,
    /// settings and data, and starts from rank 0's seed, weights and optimizer state.
    static func preflight(
        _ model: Sequential, _ comm: Communicator, data: Dataset, role: String, targets: Bool,
        batchSize: Int?, validationSplit: Double = 0, validationData: Dataset? = nil,
        shuffle: Bool = false, epochs: Int = 0, initialEpoch: Int = 0, seed: UInt64? = nil,
        resume: TrainingState? = nil, training: Bool = false, verbose: Int = 0,
        sampleWeight: Tensor? = nil, classWeight: [Int: Float]? = nil,
        validationSampleWeight: Tensor? = nil
    ) throws -> RunPlan {
        var train = data
        var validation = validationData
        if training { try model.communication.validate() }
        let sampleWeight = try sampleWeight.map { try $0.reshaped([$0.count]) }
        var trainWeights = sampleWeight.map { SampleWeights.perSample($0) } ?? classWeight.map { .byClass($0) }
        var validationWeights = try validationSampleWeight.map { SampleWeights.perSample(try $0.reshaped([$0.count])) }
        if validationSplit != 0 {
            guard validationSplit > 0 && validationSplit < 1 else {
                throw StrataError.invalidArgument("validationSplit must be in (0, 1), got \(validationSplit)", hint: "e.g. 0.2")
            }
            if validation == nil {  // Keras takes the last fraction, before shuffling
                let cut = Int(Double(data.count) * (1 - validationSplit))
                train = DatasetSlice(data, 0..<cut)
                validation = DatasetSlice(data, cut..<data.count)
                // Keras splits sample weights with the data; class weights apply to the training part only.
                if let w = sampleWeight, w.count == data.count {
                    trainWeights = .perSample(w.rows(0..<cut).copy())
                    validationWeights = .perSample(w.rows(cut..<data.count).copy())
                }
            }
        }
        let batch = batchSize ?? model.fixedBatchSize ?? 32
        // A model without an initialisation seed or weights yet (built below) draws its weights from fit's seed.
        if let seed, !model.isBuilt, !model.hasSeed { model.adoptSeeds(initialization: seed) }
        try comm.agreeOnErrors {
            if let seed, let resume, seed != resume.seed {
                throw StrataError.usage(
                    "the checkpoint continues a run with seed \(resume.seed), this run asks for seed \(seed)",
                    hint: "resume with the checkpoint's seed, or start a new run")
            }
            guard batch > 0 else {
                throw StrataError.invalidArgument("batchSize must be positive, got \(batch)", hint: "e.g. batchSize: 32")
            }
            guard epochs >= 0 && initialEpoch >= 0 else {
                throw StrataError.invalidArgument("epochs (\(epochs)) and initialEpoch (\(initialEpoch)) must not be negative", hint: "")
            }
            try check(train, role: role, targets: targets, model: model)
            if training { try model.optimizer?.validate() }
            if training, let l = model.layerUsingMaskForStatistics {
                // Keras's BatchNormalization computes its training moments over the unmasked steps only; never train silently otherwise.
                throw StrataError.invalidModel(
                    layer: l.name,
                    "this BatchNormalization receives a timestep mask (from Masking or Embedding(maskZero: true)), and Keras computes its batch statistics over the unmasked steps only, which Strata does for inputs (timesteps, channels) normalized over the last axis, not for this one",
                    hint:
                        "normalize (timesteps, channels) over axis -1, end the mask before BatchNormalization (a recurrent layer without returnSequences), or remove the mask"
                )
            }
            if let validation { try check(validation, role: "validation data", targets: true, model: model) }
            if sampleWeight != nil && classWeight != nil {
                throw StrataError.invalidArgument(
                    "fit got both classWeight and sampleWeight",
                    hint: "pass one of them (Keras: you cannot class_weight and sample_weight at the same time)")
            }
            try trainWeights?.validate(for: train, role: role)
            if let validationWeights {
                guard let validation else {
                    throw StrataError.invalidArgument(
                        "validationSampleWeight was given without validation data",
                        hint: "pass validationData: too, or leave out validationSampleWeight")
                }
                try validationWeights.validate(for: validation, role: "validation data")
            }
            try checkStatefulBatching(model, batch: batch, shuffle: shuffle, samples: train.count, comm: comm)
            try model.checkBatchLimits(batch: batch, samples: train.count, ranks: comm.size)
            if let validation {
                try checkStatefulBatching(model, batch: batch, shuffle: false, samples: validation.count, comm: comm)
                try model.checkBatchLimits(batch: batch, samples: validation.count, ranks: comm.size)
            }
        }
        let drawn = training && seed == nil && resume == nil && model.seedDrawn
        try synchronizeStart(
            model, comm, seed: seed ?? resume?.seed, training: training,
            datasets: [train] + (validation.map { [$0] } ?? []), batch: batch)
        if drawn && comm.rank == 0 && verbose > 0 {
            print("strata: no seed given; this run's seed is \(model.runSeed) (pass seed: \(model.runSeed) to repeat it)")
        }
        return RunPlan(
            data: train, validation: validation, batch: batch, shuffle: shuffle, hasTargets: targets,
            weights: trainWeights, validationWeights: validationWeights)
    }

    /// Builds the model for the data's sample shape if needed, checks compile and the data's shapes and values.
    static func check(_ data: Dataset, role: String, targets: Bool, model: Sequential) throws {
        try model.buildIfNeeded(sampleShape: data.xShape)
        guard data.xShape == model.inputShape! else {
            throw StrataError.invalidData(
                "\(role) (\(data.label)) has samples of shape \(data.xShape), the model expects \(model.inputShape!)",
                hint: "reshape the data, or change the first layer's input shape")
        }
        guard data.count > 0 else {
            throw StrataError.invalidData("\(role) (\(data.label)) has no samples", hint: "pass at least one sample")
        }
        if targets {
            guard let yShape = data.yShape else {
                throw StrataError.invalidData("\(role) (\(data.label)) has no targets", hint: "pass y")
            }
            try model.resolveCompile(targetShape: yShape)
            let out = model.outputShape!
            if model.outputCarriesMask && out.count != 2 {
                // The loss and metrics are weighted by the mask per timestep (keras/src/losses/loss.py `apply_mask`):
                // one value per (sample, timestep), which an output of more axes does not give (Keras fails too).
                throw StrataError.invalidModel(
                    layer: model.layers.last!.name,
                    "the model's output \(out) carries a timestep mask (from Masking or Embedding(maskZero: true)), and the mask weights one loss value per timestep, but this output gives \(out.dropLast().reduce(1, *)) per sample",
                    hint:
                        "end the mask before the output (a recurrent layer without returnSequences), or reshape the output to (timesteps, features)"
                )
            }
            if model.loss!.sparseTargets {
                let ok = yShape == Array(out.dropLast()) || yShape == Array(out.dropLast()) + [1]
                guard ok else {
                    throw StrataError.invalidData(
                        "\(role) targets have shape \(yShape); sparse_categorical_crossentropy needs one integer class per sample, shape \(Array(out.dropLast()) + [1])",
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
        if targets && model.loss!.sparseTargets, let d = data as? TensorDataset {
            try checkTargets(d.y!, rows: 0..<data.count, data: data, model: model)
        }
    }

    /// Integer class ids in range for sparse losses (checked as rows are read too, for streamed data).
    static func checkTargets(_ y: Tensor, rows: some Collection<Int>, data: Dataset, model: Sequential) throws {
        guard model.loss!.sparseTargets else { return }
        let classes = model.outputShape!.last ?? 1
        let perRow = y.rowSize
        var it = rows.makeIterator()
        for r in 0..<(y.shape.first ?? 0) {
            let sample = it.next() ?? r
            for j in 0..<perRow {
                let v = y[flat: r * perRow + j]
                if v != v.rounded() || v < 0 || Int(v) >= classes {
                    throw StrataError.invalidData(
                        "\(data.label): label \(v) of sample \(sample) is not a class id in [0, \(classes))",
                        hint: "sparse_categorical_crossentropy needs integer labels below the output size \(classes)")
                }
            }
        }
    }

    /// Stateful layers need fixed, unshuffled, whole batches that divide evenly over the ranks.
    static func checkStatefulBatching(_ model: Sequential, batch: Int, shuffle: Bool, samples: Int, comm: Communicator) throws {
        guard model.layers.contains(where: { ($0 as? StatefulLayer)?.stateful == true }) else { return }
        guard let fixed = model.fixedBatchSize else {
            throw StrataError.usage(
                "a stateful layer needs a fixed batch size", hint: "give the first layer batchInputShape: [batch, ...] or batchSize:")
        }
        if batch != fixed {
            throw StrataError.fixable(
                "the batch size \(batch) differs from the model's fixed batch size \(fixed)",
                remedy: .argument("batchSize", value: "\(fixed)"))
        }
        if shuffle {
            throw StrataError.fixable(
                "stateful layers carry state from sample i of one batch to sample i of the next; shuffling breaks that",
                remedy: .argument("shuffle", value: "false"))
        }
        if samples % fixed != 0 {
            throw StrataError.invalidData(
                "\(samples) samples do not divide into batches of \(fixed)",
                hint: "a stateful model needs a sample count that is a multiple of the batch size; drop \(samples % fixed) samples")
        }
        if fixed % comm.size != 0 {
            throw StrataError.invalidArgument(
                "the stateful batch size \(fixed) does not divide over \(comm.size) ranks",
                hint: "use a rank count that divides \(fixed)")
        }
        try model.shardStates(rank: comm.rank, size: comm.size)
    }

    /// Broadcasts rank 0's seeds, weights and optimizer state, and checks that all ranks run the same thing.
    /// `fitSeed` (or, `training`, else the initialisation seed) becomes the run seed; the weights are not touched.
    static func synchronizeStart(
        _ model: Sequential, _ comm: Communicator, seed fitSeed: UInt64?, training: Bool,
        datasets: [Dataset], batch: Int
    ) throws {
        let p = model.parameters!
        let explicitSeed = fitSeed ?? model.requestedSeed
        // `extras`: the step sums behind the gradients (loss, metrics, stop flag), as in every earlier release.
        let fingerprint =
            "model=\(model.configFingerprint) params=\(p.count) extras=\(model.metrics.count + 2)"
            + " compile=\(model.compileSpec.map { "\($0.optimizer),\($0.loss),\($0.metrics)" } ?? "none")"
            + " seed=\(explicitSeed.map(String.init) ?? "drawn") batch=\(batch) data="
            + datasets.map { "\($0.count)x\($0.xShape)->\($0.yShape ?? [])" }.joined(separator: ",")
        // Throws the same error on every rank by itself (not inside agreeOnErrors, which would re-attribute it).
        try comm.verifyAgreement(fingerprint, what: "model, compile settings, seed, data or batch size")
        let run = fitSeed ?? (training ? model.seed : model.runSeed)
        var s = [model.seed, run].flatMap { [Double($0 >> 32), Double($0 & 0xFFFF_FFFF)] }
        try comm.broadcast(&s, root: 0)
        model.adoptSeeds(initialization: UInt64(s[0]) << 32 | UInt64(s[1]), run: UInt64(s[2]) << 32 | UInt64(s[3]))
        try comm.broadcast(p.values, root: 0)
        if let st = model.optimizerState {
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
    static func runFingerprint(_ model: Sequential, _ plan: RunPlan) throws -> String {
        func describe(_ d: Dataset) throws -> String {
            var hash: UInt64 = 0xcbf2_9ce4_8422_2325  // FNV-1a over the sampled rows' bits
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
        return "train=\(try describe(plan.data)) validation=\(try plan.validation.map(describe) ?? "none") batch=\(plan.batch)"
            + " shuffle=\(plan.shuffle) loss=\(model.loss?.name ?? "none") metrics=\(model.metrics.map(\.name))"
    }

    /// The communicator a run uses: the given one, else `SingleProcess` — unless a launcher started this process
    /// as one of several ranks, where a silent one-process run would be p copies of the same job.
    static func resolveCommunicator(_ given: Communicator?) throws -> Communicator {
        if let given { return given }
        if let n = SingleProcess.launchedAsOneOfSeveralRanks {
            throw StrataError.usage(
                "this process is one of \(n) ranks started by mpirun/srun, but fit/evaluate/predict got no communicator, so every rank would train its own copy",
                hint: "pass communicator: try MPICommunicator.automatic() (import Strata), or run a single process without mpirun")
        }
        return SingleProcess()
    }
}
