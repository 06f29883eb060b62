/// Keras's callback hooks. Each receives the run's `TrainingContext` (model, communicator, position, stop flag).
/// Logs hold GLOBAL figures (summed over ranks), so decisions made on them (stop, change the learning rate) are
/// the same on every rank. `context.stopTraining = true` ends `fit` after the current batch or epoch, gracefully,
/// as Keras's `model.stop_training`.
///
/// Callbacks written before the context existed implement the `model:` hooks; the context hooks call them by
/// default, so they keep working (deprecated: `model.stopTraining` and `model.communicator` still reach the run).
public protocol Callback: AnyObject {
    func onTrainBegin(context: TrainingContext) throws
    func onTrainEnd(logs: [String: Double], context: TrainingContext) throws
    func onEpochBegin(_ epoch: Int, context: TrainingContext) throws
    func onEpochEnd(_ epoch: Int, logs: [String: Double], context: TrainingContext) throws
    func onBatchBegin(_ batch: Int, context: TrainingContext) throws
    func onBatchEnd(_ batch: Int, logs: [String: Double], context: TrainingContext) throws
    /// Numbers the callback must keep across a checkpoint and resume (counters, best values).
    var checkpointState: [String: Double] { get set }
    /// Tensors the callback must keep across a checkpoint (EarlyStopping's best weights); never mutated in place.
    var checkpointTensors: [String: Tensor] { get set }
    /// Names this callback's state in checkpoints (default: its type name; repeats get `#2`, `#3`...), so a resumed
    /// run finds it whatever the order of the callback list.
    var checkpointKey: String { get }

    func onTrainBegin(model: Sequential) throws
    func onTrainEnd(model: Sequential, logs: [String: Double]) throws
    func onEpochBegin(_ epoch: Int, model: Sequential) throws
    func onEpochEnd(_ epoch: Int, logs: [String: Double], model: Sequential) throws
    func onBatchBegin(_ batch: Int, model: Sequential) throws
    func onBatchEnd(_ batch: Int, logs: [String: Double], model: Sequential) throws
    /// Whether `onBatchBegin`/`onBatchEnd` may read the model's weights (default true). Under ZeRO-1 the next
    /// step's weights may still be arriving during those hooks (`GradientCommunication.overlapWeightGather`): the
    /// trainer then completes their gather before calling them. Callbacks that read only logs say false.
    var readsWeightsEachBatch: Bool { get }
}

extension Callback {
    public func onTrainBegin(context: TrainingContext) throws { try onTrainBegin(model: context.model) }
    public func onTrainEnd(logs: [String: Double], context: TrainingContext) throws {
        try onTrainEnd(model: context.model, logs: logs)
    }
    public func onEpochBegin(_ epoch: Int, context: TrainingContext) throws { try onEpochBegin(epoch, model: context.model) }
    public func onEpochEnd(_ epoch: Int, logs: [String: Double], context: TrainingContext) throws {
        try onEpochEnd(epoch, logs: logs, model: context.model)
    }
    public func onBatchBegin(_ batch: Int, context: TrainingContext) throws { try onBatchBegin(batch, model: context.model) }
    public func onBatchEnd(_ batch: Int, logs: [String: Double], context: TrainingContext) throws {
        try onBatchEnd(batch, logs: logs, model: context.model)
    }
    public var checkpointState: [String: Double] {
        get { [:] }
        set {}
    }
    public var checkpointTensors: [String: Tensor] {
        get { [:] }
        set {}
    }
    public var checkpointKey: String { String(describing: type(of: self)) }
    public var readsWeightsEachBatch: Bool { true }

    /// The hooks before `TrainingContext` (deprecated spelling): empty by default.
    public func onTrainBegin(model: Sequential) throws {}
    public func onTrainEnd(model: Sequential, logs: [String: Double]) throws {}
    public func onEpochBegin(_ epoch: Int, model: Sequential) throws {}
    public func onEpochEnd(_ epoch: Int, logs: [String: Double], model: Sequential) throws {}
    public func onBatchBegin(_ batch: Int, model: Sequential) throws {}
    public func onBatchEnd(_ batch: Int, logs: [String: Double], model: Sequential) throws {}
}

/// Keras's `mode` for a monitored quantity: `auto` minimises unless the name contains "acc".
public enum MonitorMode: String, Sendable {
    case auto, min, max

    func improves(_ current: Double, over best: Double, minDelta: Double, monitor: String) -> Bool {
        let isMax = self == .max || (self == .auto && (monitor.contains("acc") || monitor.hasPrefix("fmeasure")))
        return isMax ? current - minDelta > best : current + minDelta < best
    }

    func initialBest(monitor: String) -> Double {
        let isMax = self == .max || (self == .auto && (monitor.contains("acc") || monitor.hasPrefix("fmeasure")))
        return isMax ? -Double.infinity : Double.infinity
    }
}
