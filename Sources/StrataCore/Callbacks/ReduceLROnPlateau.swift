/// Keras `ReduceLROnPlateau`: when `monitor` has not improved (by `minDelta`, relative to the best) for
/// `patience` epochs, multiplies the learning rate by `factor` (not below `minLR`), then waits `cooldown`
/// epochs. Defaults as Keras: val_loss, factor 0.1, patience 10, min_delta 1e-4, cooldown 0, min_lr 0.
public final class ReduceLROnPlateau: Callback {
    /// Its batch hooks read logs only (ZeRO-1's weight gather stays in flight through them).
    public var readsWeightsEachBatch: Bool { false }
    public let monitor: String
    public let factor: Float
    public let patience: Int
    public let verbose: Int
    public let mode: MonitorMode
    public let minDelta: Double
    public let cooldown: Int
    public let minLR: Float
    public private(set) var wait = 0
    public private(set) var cooldownCounter = 0
    public private(set) var best: Double

    public init(
        monitor: String = "val_loss", factor: Float = 0.1, patience: Int = 10, verbose: Int = 0,
        mode: MonitorMode = .auto, minDelta: Double = 1e-4, cooldown: Int = 0, minLR: Float = 0
    ) {
        self.monitor = monitor
        self.factor = factor
        self.patience = patience
        self.verbose = verbose
        self.mode = mode
        self.minDelta = minDelta
        self.cooldown = cooldown
        self.minLR = minLR
        best = mode.initialBest(monitor: monitor)
    }

    public func onTrainBegin(context: TrainingContext) throws {
        guard factor < 1 else {
            throw StrataError.invalidArgument(
                "ReduceLROnPlateau does not support a factor >= 1 (got \(factor))",
                hint: "use a factor below 1, e.g. factor: 0.1")
        }
        if !context.state.resumed {
            wait = 0
            cooldownCounter = 0
            best = mode.initialBest(monitor: monitor)
        }
    }

    public func onEpochEnd(_ epoch: Int, logs: [String: Double], context: TrainingContext) throws {
        guard let current = logs[monitor] else {
            throw StrataError.invalidArgument(
                "ReduceLROnPlateau monitors '\(monitor)', which is not in the logs",
                hint: "available: " + logs.keys.sorted().joined(separator: ", "))
        }
        guard let opt = context.model.optimizer else { return }
        if cooldownCounter > 0 {
            cooldownCounter -= 1
            wait = 0
        }
        if mode.improves(current, over: best, minDelta: minDelta, monitor: monitor) {
            best = current
            wait = 0
        } else if cooldownCounter <= 0 {
            wait += 1
            if wait >= patience {
                let old = opt.learningRate
                if old > minLR {
                    let new = max(old * factor, minLR)
                    try opt.setLearningRate(new, by: "ReduceLROnPlateau")
                    if verbose > 0 && context.isPrintingRank {
                        print("\nEpoch \(epoch + 1): ReduceLROnPlateau reducing learning rate to \(new).")
                    }
                    cooldownCounter = cooldown
                    wait = 0
                }
            }
        }
    }

    public var checkpointState: [String: Double] {
        get { ["wait": Double(wait), "cooldown_counter": Double(cooldownCounter), "best": best] }
        set {
            wait = Int(newValue["wait"] ?? 0)
            cooldownCounter = Int(newValue["cooldown_counter"] ?? 0)
            best = newValue["best"] ?? best
        }
    }
}
