/// Keras's `fit`, `evaluate` and `predict` on `Sequential`: every public overload, each a thin wrapper that runs
/// the pre-flight and hands the run to a `Trainer` (Training/Trainer.swift holds the loop).
extension Sequential {
    /// Keras `fit(x, y, batch_size, epochs, verbose, callbacks, validation_split, validation_data, shuffle,
    /// class_weight, sample_weight, initial_epoch)`. `x`, `y`, the `validationData` pair and the weights are any
    /// ``TensorConvertible`` (a `Tensor`, `[[Float]]`, `[Int]`, ...: any mix); `validationSampleWeight` is the third
    /// entry of Keras's `validation_data`. `batchSize` is the GLOBAL batch (default 32). Pass `communicator:` (e.g.
    /// `try MPICommunicator.automatic()`) to train data-parallel.
    @discardableResult
    public func fit(
        _ x: some TensorConvertible, _ y: some TensorConvertible, batchSize: Int? = nil, epochs: Int = 1, verbose: Int = 1,
        callbacks: [Callback] = [], validationSplit: Double = 0,
        validationData: (any TensorConvertible, any TensorConvertible)? = nil,
        validationSampleWeight: (any TensorConvertible)? = nil, shuffle: Bool = true, classWeight: [Int: Float]? = nil,
        sampleWeight: (any TensorConvertible)? = nil, initialEpoch: Int = 0, seed: UInt64? = nil,
        communicator: Communicator? = nil
    ) throws -> History {
        let (x, y) = try (x.makeTensor(), y.makeTensor())
        try checkRows(x, y)
        let validation = try validationData.map { TensorDataset(x: try $0.0.makeTensor(), y: try $0.1.makeTensor(), label: "validation x") }
        return try fit(
            TensorDataset(x: x, y: y), batchSize: batchSize, epochs: epochs, verbose: verbose,
            callbacks: callbacks, validationSplit: validationSplit, validationData: validation,
            validationSampleWeight: try validationSampleWeight?.makeTensor(), shuffle: shuffle, classWeight: classWeight,
            sampleWeight: try sampleWeight?.makeTensor(), initialEpoch: initialEpoch, seed: seed, communicator: communicator)
    }

    /// `fit` on any `Dataset` (in memory, or an HDF5 file read row by row). `resume`: a checkpoint's position
    /// (`Checkpoint.restore`; StrataHDF5's `fit(..., resumeFrom:)` reads it for you).
    /// `sampleWeight` (one weight per sample, shape `(N,)` or `(N, 1)`) or `classWeight` (`[class: weight]`, Keras's
    /// `class_weight`) weigh each sample's loss (and `weightedMetrics`) as Keras does; `validationSampleWeight`
    /// weighs the validation data's.
    @discardableResult
    public func fit(
        _ data: Dataset, batchSize: Int? = nil, epochs: Int = 1, verbose: Int = 1,
        callbacks: [Callback] = [], validationSplit: Double = 0, validationData: Dataset? = nil,
        validationSampleWeight: Tensor? = nil, shuffle: Bool = true, classWeight: [Int: Float]? = nil,
        sampleWeight: Tensor? = nil, initialEpoch: Int = 0, seed: UInt64? = nil,
        communicator: Communicator? = nil, resume: TrainingState? = nil
    ) throws -> History {
        let comm = try Trainer.resolveCommunicator(communicator)
        let plan = try Trainer.preflight(
            self, comm, data: data, role: "training data", targets: true, batchSize: batchSize,
            validationSplit: validationSplit, validationData: validationData, shuffle: shuffle,
            epochs: epochs, initialEpoch: initialEpoch, seed: seed, resume: resume,
            training: true, verbose: verbose, sampleWeight: sampleWeight, classWeight: classWeight,
            validationSampleWeight: validationSampleWeight)
        var run = ""
        try comm.agreeOnErrors {  // a read error on one rank is an error on every rank, never a hang
            run = try Trainer.runFingerprint(self, plan)
            if let resume, !resume.runFingerprint.isEmpty, resume.runFingerprint != run {
                throw StrataError.usage(
                    "the checkpoint was written by a run with other data or settings:\n  checkpoint: \(resume.runFingerprint)\n  this run:   \(run)",
                    hint: "resume with the same training and validation data, batchSize, shuffle, loss and metrics, or start a new run")
            }
        }
        let state = resume ?? TrainingState(seed: runSeed, initSeed: self.seed)
        if resume != nil { state.resumed = true } else { state.epoch = initialEpoch }
        state.runFingerprint = run
        return try Trainer(self, comm, plan, callbacks: callbacks, resume: state).fit(epochs: epochs, verbose: verbose)
    }

    /// Keras `evaluate(x, y, batch_size, verbose, sample_weight)`: `[loss, metric...]` over the whole set, exact
    /// (each sample once); `x`, `y` and `sampleWeight` are any ``TensorConvertible``. `returnDict: true` gives the
    /// same figures by name.
    @discardableResult
    public func evaluate(
        _ x: some TensorConvertible, _ y: some TensorConvertible, batchSize: Int? = nil, verbose: Int = 1,
        sampleWeight: (any TensorConvertible)? = nil,
        communicator: Communicator? = nil
    ) throws -> [Double] {
        let (x, y) = try (x.makeTensor(), y.makeTensor())
        try checkRows(x, y)
        return try evaluate(
            TensorDataset(x: x, y: y), batchSize: batchSize, verbose: verbose, sampleWeight: try sampleWeight?.makeTensor(),
            communicator: communicator)
    }

    /// `evaluate` on any `Dataset`.
    @discardableResult
    public func evaluate(
        _ data: Dataset, batchSize: Int? = nil, verbose: Int = 1, sampleWeight: Tensor? = nil,
        communicator: Communicator? = nil
    ) throws -> [Double] {
        let comm = try Trainer.resolveCommunicator(communicator)
        let plan = try Trainer.preflight(
            self, comm, data: data, role: "evaluation data", targets: true, batchSize: batchSize,
            sampleWeight: sampleWeight)
        return try Trainer(self, comm, plan).evaluate(verbose: verbose)
    }

    /// Keras `predict(x, batch_size)`: the outputs of every sample in row order (on every rank); `x` is any
    /// ``TensorConvertible``.
    public func predict(_ x: some TensorConvertible, batchSize: Int? = nil, communicator: Communicator? = nil) throws -> Tensor {
        try predict(TensorDataset(x: x.makeTensor(), y: nil), batchSize: batchSize, communicator: communicator)
    }

    /// `predict` on any `Dataset` (targets, if any, are ignored).
    public func predict(_ data: Dataset, batchSize: Int? = nil, communicator: Communicator? = nil) throws -> Tensor {
        let comm = try Trainer.resolveCommunicator(communicator)
        let plan = try Trainer.preflight(self, comm, data: data, role: "prediction input", targets: false, batchSize: batchSize)
        return try Trainer(self, comm, plan).predict()
    }

    /// Checks a dataset against the compiled model (shapes, values, labels) without training: what
    /// `strata validate` runs.
    public func checkData(_ data: Dataset, role: String) throws {
        try Trainer.check(data, role: role, targets: data.yShape != nil, model: self)
    }

    /// Scalars of `fit`'s step buffer, what each step all-reduces: the gradients, then the loss sum, one sum per
    /// metric and the stop flag.
    package var stepBufferCount: Int { countParams() + figures.count + 1 }

    func checkRows(_ x: Tensor, _ y: Tensor) throws {
        guard x.shape.first == y.shape.first else {
            throw StrataError.invalidData(
                "x has \(x.shape.first ?? 0) samples but y has \(y.shape.first ?? 0)",
                hint: "x and y need one row per sample, in the same order")
        }
    }

    // MARK: run state, before it moved to TrainingContext

    /// The training position: the running `fit`'s, else where the last `fit` ended (what `save` records).
    @available(*, deprecated, message: "callbacks read context.state; Checkpoint.write takes the run's context")
    public var trainingState: TrainingState? {
        get { activeRun?.state ?? finishedRun }
        set { finishedRun = newValue }
    }

    /// The running `fit`'s communicator (`SingleProcess` outside a run).
    @available(*, deprecated, message: "callbacks read context.communicator")
    public var communicator: Communicator { activeRun?.communicator ?? SingleProcess() }

    /// Ends the running `fit` after the current batch or epoch.
    @available(*, deprecated, message: "callbacks set context.stopTraining")
    public var stopTraining: Bool {
        get { activeRun?.stopTraining ?? false }
        set { activeRun?.stopTraining = newValue }
    }

    /// Whether this is the rank that prints (rank 0 of the running `fit`).
    @available(*, deprecated, message: "callbacks read context.isPrintingRank")
    public var isPrintingRank: Bool { activeRun?.isPrintingRank ?? true }
}
