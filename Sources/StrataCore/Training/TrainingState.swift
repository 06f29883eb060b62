/// Everything a checkpoint holds besides the weights and optimizer state: where training is, the partial sums
/// of the current epoch, the history so far, callback counters. Restoring it continues at the exact batch.
public final class TrainingState {
    /// The run seed: shuffles, dropout masks and noise derive from it.
    public var seed: UInt64
    /// The initialisation seed the model's weights were first drawn from (the run seed in checkpoints written
    /// before the two were recorded apart).
    public var initSeed: UInt64
    /// The epoch being trained (0-based) and the number of its batches already applied.
    public var epoch: Int = 0
    public var batchInEpoch: Int = 0
    /// Partial sums of the current epoch: loss sum, then one sum per metric, then the sample count.
    public var partialSums: [Double] = []
    /// History so far.
    public var history = History()
    /// Callback state by callback key (`Callback.checkpointKey`; `#0`, `#1`... by position in checkpoints written
    /// before keys existed), as read from a checkpoint or left by the last `fit`.
    public var callbacks: [String: CallbackState] = [:]
    /// What the run trains on, independent of the rank count (`Trainer.runFingerprint`): a resumed run must
    /// match it. Empty in checkpoints written before it existed (then not checked).
    public var runFingerprint = ""
    /// True once a callback stopped training (EarlyStopping, TerminateOnNaN): resuming trains no further.
    public var stopped = false
    /// True while a run continues from a checkpoint (callbacks keep their restored counters).
    public var resumed = false
    /// The rank count and OpenBLAS thread count of the run that wrote this state.
    public var worldSize = 1
    public var threads = 1
    /// Global `(B, units)` states of stateful layers by layer name (every rank's rows in rank order), as read from
    /// a checkpoint; `Sequential.scatterStates` gives each rank its slice.
    public var rnnStates: [String: [Tensor]] = [:]

    public init(seed: UInt64, initSeed: UInt64? = nil) {
        self.seed = seed
        self.initSeed = initSeed ?? seed
    }
}
