import StrataCore

/// Saving, loading and resuming through HDF5 files (Keras legacy `.h5` + Strata's training state).
extension Sequential {
    /// Keras `model.save("model.h5")`: the legacy HDF5 layout Python Keras (3 and tf-keras) opens with
    /// `keras.models.load_model`, plus Strata's optimizer and training state in a group Keras ignores.
    /// Atomic (temp file, then rename). Stateful RNN layers' states are saved too, and `load` restores them.
    /// Outside `fit` it records where the last `fit` ended (so the file resumes from there); during `fit`, the
    /// running one's position. Under MPI only rank 0 should call it (ModelCheckpoint does that); the global states
    /// then need every rank: `let s = try model.gatherStates(comm)` on all ranks, then
    /// `Checkpoint.write(model, to: path, context: context, states: s)`.
    public func save(_ path: String) throws {
        try Checkpoint.write(self, to: path)
    }

    /// Keras `keras.models.load_model("model.h5", compile=True)` for a file written by Strata, Keras 3, tf-keras
    /// or Keras 2: the model from `model_config`, the weights by position and, with `compile`, compiled as the run
    /// was (the optimizer with every argument, from Strata's training state or else `training_config`) with its
    /// optimizer state restored, ready for `fit(resumeFrom:)`. `compile: false` reads weights only (for `predict`).
    public static func load(_ path: String, compile: Bool = true) throws -> Sequential {
        try Checkpoint.readModel(path, compile: compile)
    }

    /// Keras `model.load_weights("weights.h5")`: weights by position from a full-model or weights-only .h5.
    public func loadWeights(_ path: String) throws {
        let f = try HDF5.File.open(path)
        try CheckpointDigest.verifyForReading(f)
        try Checkpoint.loadWeights(into: self, from: f)
    }

    /// `fit` that continues a run from a checkpoint written by `ModelCheckpoint` (or `save` during training):
    /// weights, optimizer slots and iterations, learning rate, epoch and batch cursor, partial sums, callback
    /// state and History are restored, so training continues at the exact batch with the same data order and
    /// dropout masks. At the same rank and thread count the final weights equal an uninterrupted run's, bit
    /// for bit. `epochs` is the total, as in Keras with `initial_epoch`. Each rank takes its rows of the saved
    /// global RNN states, so the run may resume on another rank count that divides the batch. A run a callback
    /// stopped (EarlyStopping) trains no further. Other data, batch size, shuffle, loss, metrics, optimizer
    /// settings, model or `seed` (the run seed; nil: the checkpoint's) than the checkpoint's are one clear error.
    ///
    /// `resumeFrom` is a checkpoint file (which must verify) or a run directory, whose newest checkpoint that
    /// verifies is taken (damaged ones are skipped and named). Rank 0 alone reads and verifies the file and
    /// broadcasts it (`CheckpointSelection.load`), so the checkpoint need only be on rank 0's disk.
    @discardableResult
    public func fit(
        _ data: Dataset, batchSize: Int? = nil, epochs: Int = 1, verbose: Int = 1,
        callbacks: [Callback] = [], validationSplit: Double = 0, validationData: Dataset? = nil,
        validationSampleWeight: Tensor? = nil, shuffle: Bool = true, classWeight: [Int: Float]? = nil,
        sampleWeight: Tensor? = nil, seed: UInt64? = nil, communicator: Communicator? = nil,
        resumeFrom: String
    ) throws -> History {
        try buildIfNeeded(sampleShape: data.xShape)
        let comm = communicator ?? SingleProcess()
        let choice = try CheckpointSelection.load(resumeFrom, communicator: comm, announce: verbose > 0)
        let source = choice.path
        let state = try Checkpoint.restore(self, file: try choice.open(), verify: false)  // rank 0 verified these bytes
        let ranks = comm.size, threads = comm.threadsPerRank
        // Each rank takes its rows of the global RNN states (the checkpoint may come from another rank count).
        try scatterStates(state.rnnStates, rank: comm.rank, size: ranks, source: source)
        if (state.worldSize != ranks || state.threads != threads) && comm.rank == 0 {
            print(
                "strata: \(source) was written by a run on \(state.worldSize) rank(s) x \(state.threads) BLAS thread(s); "
                    + "resuming on \(ranks) x \(threads): results agree to float summation tolerance, not bit for bit")
        }
        return try fit(
            data, batchSize: batchSize, epochs: epochs, verbose: verbose, callbacks: callbacks,
            validationSplit: validationSplit, validationData: validationData,
            validationSampleWeight: validationSampleWeight, shuffle: shuffle, classWeight: classWeight,
            sampleWeight: sampleWeight, seed: seed, communicator: communicator, resume: state)
    }
}
