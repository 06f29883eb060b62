/// Keras `EarlyStopping`: stops when `monitor` has not improved by more than `minDelta` for `patience` epochs;
/// `restoreBestWeights` puts back the weights of the best epoch. Defaults as Keras: monitor val_loss,
/// min_delta 0, patience 0, mode auto, start_from_epoch 0.
public final class EarlyStopping: Callback {
    /// Its batch hooks read logs only (ZeRO-1's weight gather stays in flight through them).
    public var readsWeightsEachBatch: Bool { false }
    public let monitor: String
    public let minDelta: Double
    public let patience: Int
    public let verbose: Int
    public let mode: MonitorMode
    public let baseline: Double?
    public let restoreBestWeights: Bool
    public let startFromEpoch: Int
    public private(set) var wait = 0
    public private(set) var stoppedEpoch = 0
    /// The best monitored value so far (nil before the first monitored epoch, as Keras's `None`).
    public private(set) var best: Double?
    public private(set) var bestEpoch = 0
    private var bestWeights: Tensor?

    public init(
        monitor: String = "val_loss", minDelta: Double = 0, patience: Int = 0, verbose: Int = 0,
        mode: MonitorMode = .auto, baseline: Double? = nil, restoreBestWeights: Bool = false,
        startFromEpoch: Int = 0
    ) {
        self.monitor = monitor
        self.minDelta = abs(minDelta)
        self.patience = patience
        self.verbose = verbose
        self.mode = mode
        self.baseline = baseline
        self.restoreBestWeights = restoreBestWeights
        self.startFromEpoch = startFromEpoch
    }

    public func onTrainBegin(context: TrainingContext) throws {
        if !context.state.resumed {
            wait = 0
            stoppedEpoch = 0
            best = nil
            bestEpoch = 0
            bestWeights = nil
        }
    }

    private func isImprovement(_ current: Double, over reference: Double?) -> Bool {
        guard let reference else { return true }
        return mode.improves(current, over: reference, minDelta: minDelta, monitor: monitor)
    }

    /// Keras 3 (keras/src/callbacks/early_stopping.py): `wait += 1`; an improvement on the best (the first
    /// value always is) records it and resets `wait` only if it also beats `baseline`; otherwise stop once
    /// `wait >= patience` (never at epoch 0).
    public func onEpochEnd(_ epoch: Int, logs: [String: Double], context: TrainingContext) throws {
        let model = context.model
        guard let current = logs[monitor] else {
            throw StrataError.invalidArgument(
                "EarlyStopping monitors '\(monitor)', which is not in the logs",
                hint: "available: " + logs.keys.sorted().joined(separator: ", "))
        }
        if epoch < startFromEpoch { return }
        if restoreBestWeights && bestWeights == nil {
            bestWeights = model.parameters?.values.copy()
            bestEpoch = epoch
        }
        wait += 1
        if isImprovement(current, over: best) {
            best = current
            bestEpoch = epoch
            if restoreBestWeights { bestWeights = model.parameters?.values.copy() }
            if baseline == nil || isImprovement(current, over: baseline) { wait = 0 }
            return
        }
        if wait >= patience && epoch > 0 {
            stoppedEpoch = epoch
            context.stopTraining = true
        }
    }

    /// Restores the best epoch's weights (whether or not training stopped early), as Keras 3 does.
    public func onTrainEnd(logs: [String: Double], context: TrainingContext) throws {
        if stoppedEpoch > 0 && verbose > 0 && context.isPrintingRank {
            print("Epoch \(stoppedEpoch + 1): early stopping")
        }
        if restoreBestWeights, let w = bestWeights {
            if verbose > 0 && context.isPrintingRank {
                print("Restoring model weights from the end of the best epoch: \(bestEpoch + 1).")
            }
            context.model.parameters?.values.assign(w)
        }
    }

    public var checkpointState: [String: Double] {
        get {
            var s = ["wait": Double(wait), "stopped_epoch": Double(stoppedEpoch), "best_epoch": Double(bestEpoch)]
            if let best { s["best"] = best }
            return s
        }
        set {
            wait = Int(newValue["wait"] ?? 0)
            best = newValue["best"]
            stoppedEpoch = Int(newValue["stopped_epoch"] ?? 0)
            bestEpoch = Int(newValue["best_epoch"] ?? 0)
        }
    }

    /// The best epoch's weights (with `restoreBestWeights`), so a resumed run restores the same ones.
    public var checkpointTensors: [String: Tensor] {
        get { bestWeights.map { ["best_weights": $0] } ?? [:] }
        set { bestWeights = newValue["best_weights"] }
    }
}
