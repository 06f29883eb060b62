/// Keras `EarlyStopping`: stops when `monitor` has not improved by more than `minDelta` for `patience` epochs;
/// `restoreBestWeights` puts back the weights of the best epoch. Defaults as Keras: monitor val_loss,
/// min_delta 0, patience 0, mode auto, start_from_epoch 0.
public final class EarlyStopping: Callback {
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
    public private(set) var best: Double
    private var bestWeights: Tensor?

    public init(monitor: String = "val_loss", minDelta: Double = 0, patience: Int = 0, verbose: Int = 0,
                mode: MonitorMode = .auto, baseline: Double? = nil, restoreBestWeights: Bool = false,
                startFromEpoch: Int = 0) {
        self.monitor = monitor
        self.minDelta = abs(minDelta)
        self.patience = patience
        self.verbose = verbose
        self.mode = mode
        self.baseline = baseline
        self.restoreBestWeights = restoreBestWeights
        self.startFromEpoch = startFromEpoch
        best = mode.initialBest(monitor: monitor)
    }

    public func onTrainBegin(model: Sequential) throws {
        if model.trainingState?.resumed != true {
            wait = 0
            stoppedEpoch = 0
            best = baseline ?? mode.initialBest(monitor: monitor)
        }
    }

    public func onEpochEnd(_ epoch: Int, logs: [String: Double], model: Sequential) throws {
        guard let current = logs[monitor] else {
            throw StrataError.invalidArgument("EarlyStopping monitors '\(monitor)', which is not in the logs",
                                              hint: "available: " + logs.keys.sorted().joined(separator: ", "))
        }
        if epoch < startFromEpoch { return }
        if restoreBestWeights && bestWeights == nil { bestWeights = model.parameters?.values.copy() }
        wait += 1
        if mode.improves(current, over: best, minDelta: minDelta, monitor: monitor) {
            best = current
            wait = 0
            if restoreBestWeights { bestWeights = model.parameters?.values.copy() }
            return
        }
        if wait >= patience && epoch > 0 {
            stoppedEpoch = epoch
            model.stopTraining = true
            if restoreBestWeights, let w = bestWeights { model.parameters?.values.assign(w) }
        }
    }

    public func onTrainEnd(model: Sequential, logs: [String: Double]) throws {
        if stoppedEpoch > 0 && verbose > 0 && model.isPrintingRank {
            print("Epoch \(stoppedEpoch + 1): early stopping")
        }
    }

    public var checkpointState: [String: Double] {
        get { ["wait": Double(wait), "best": best, "stopped_epoch": Double(stoppedEpoch)] }
        set {
            wait = Int(newValue["wait"] ?? 0)
            best = newValue["best"] ?? best
            stoppedEpoch = Int(newValue["stopped_epoch"] ?? 0)
        }
    }
}
