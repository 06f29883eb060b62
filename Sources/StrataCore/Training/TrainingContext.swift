/// What a callback sees of a running `fit`: the model, the communicator, the run's position and history
/// (`TrainingState`), the latest logs, the OpenBLAS threads of this rank, and the stop flag. The trainer makes one
/// per `fit`; none of it is stored on the model, so two models (or two runs) never share it.
public final class TrainingContext {
    public let model: Sequential
    public let communicator: Communicator
    /// Epoch and batch cursor, partial sums, History, seed: what a checkpoint holds.
    public let state: TrainingState
    /// OpenBLAS threads per rank for this run (the communicator's policy), recorded in checkpoints.
    public let threads: Int
    /// The run's thread pool (`threads` threads) for Strata's own kernels: passed to the layers in
    /// `LayerContext.pool` and used by the optimizer update.
    public let pool: ThreadPool
    /// Set by a callback to end `fit` gracefully after the current batch or epoch (Keras's `model.stop_training`).
    /// A request on any rank rides in that step's all-reduce, so every rank stops after the same batch.
    public var stopTraining = false
    /// The latest logs handed to the callbacks (global figures).
    public internal(set) var logs: [String: Double] = [:]
    /// The run's callbacks with their checkpoint keys (see `Callback.checkpointKey`).
    let callbacks: [(key: String, callback: Callback)]

    /// A context for driving callbacks by hand (tests, custom loops); `fit` makes its own.
    public convenience init(
        model: Sequential, communicator: Communicator = SingleProcess(), state: TrainingState? = nil,
        threads: Int? = nil
    ) {
        self.init(
            model: model, communicator: communicator, state: state ?? TrainingState(seed: model.seed),
            threads: threads ?? communicator.threadsPerRank, callbacks: [])
    }

    init(model: Sequential, communicator: Communicator, state: TrainingState, threads: Int, callbacks: [Callback]) {
        self.model = model
        self.communicator = communicator
        self.state = state
        self.threads = threads
        pool = ThreadPool(threads: threads)
        self.callbacks = Self.keyed(callbacks)
    }

    /// Only rank 0 prints.
    public var isPrintingRank: Bool { communicator.rank == 0 }

    /// Each callback's key: its `checkpointKey`, with `#2`, `#3`... appended to repeats (two EarlyStopping).
    static func keyed(_ callbacks: [Callback]) -> [(key: String, callback: Callback)] {
        var seen: [String: Int] = [:]
        return callbacks.map { cb in
            let base = cb.checkpointKey
            seen[base, default: 0] += 1
            return (seen[base]! == 1 ? base : "\(base)#\(seen[base]!)", cb)
        }
    }

    /// The callbacks' state now, by key: what a checkpoint written at this moment holds.
    public var callbackStates: [String: CallbackState] {
        var out: [String: CallbackState] = [:]
        for (key, cb) in callbacks {
            let s = CallbackState(values: cb.checkpointState, tensors: cb.checkpointTensors)
            if !s.values.isEmpty || !s.tensors.isEmpty { out[key] = s }
        }
        return out
    }

    /// Gives each callback its saved state by key. Checkpoints written before keys existed name their entries by
    /// list position (`#0`, `#1`, ...): those go to the callback at that position.
    func restoreCallbackStates(_ saved: [String: CallbackState]) {
        for (i, (key, cb)) in callbacks.enumerated() {
            guard let s = saved[key] ?? saved[CallbackState.positionalKey(i)] else { continue }
            cb.checkpointState = s.values
            cb.checkpointTensors = s.tensors
        }
    }
}

/// What one callback keeps across a checkpoint: numbers (counters, best values) and tensors (best weights).
public struct CallbackState {
    public var values: [String: Double]
    public var tensors: [String: Tensor]
    public init(values: [String: Double] = [:], tensors: [String: Tensor] = [:]) {
        self.values = values
        self.tensors = tensors
    }

    /// The key of the callback at `index` in a checkpoint written before callbacks had keys.
    public static func positionalKey(_ index: Int) -> String { "#\(index)" }
}
