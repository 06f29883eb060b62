/// Keras's callback hooks. Logs hold GLOBAL figures (summed over ranks), so decisions made on them (stop,
/// change the learning rate) are the same on every rank. `model.stopTraining = true` ends `fit` after the
/// current batch or epoch, gracefully, as in Keras.
public protocol Callback: AnyObject {
    func onTrainBegin(model: Sequential) throws
    func onTrainEnd(model: Sequential, logs: [String: Double]) throws
    func onEpochBegin(_ epoch: Int, model: Sequential) throws
    func onEpochEnd(_ epoch: Int, logs: [String: Double], model: Sequential) throws
    func onBatchBegin(_ batch: Int, model: Sequential) throws
    func onBatchEnd(_ batch: Int, logs: [String: Double], model: Sequential) throws
    /// Numbers the callback must keep across a checkpoint and resume (counters, best values).
    var checkpointState: [String: Double] { get set }
    /// Tensors the callback must keep across a checkpoint (EarlyStopping's best weights); never mutated in place.
    var checkpointTensors: [String: Tensor] { get set }
}

extension Callback {
    public func onTrainBegin(model: Sequential) throws {}
    public func onTrainEnd(model: Sequential, logs: [String: Double]) throws {}
    public func onEpochBegin(_ epoch: Int, model: Sequential) throws {}
    public func onEpochEnd(_ epoch: Int, logs: [String: Double], model: Sequential) throws {}
    public func onBatchBegin(_ batch: Int, model: Sequential) throws {}
    public func onBatchEnd(_ batch: Int, logs: [String: Double], model: Sequential) throws {}
    public var checkpointState: [String: Double] {
        get { [:] }
        set {}
    }
    public var checkpointTensors: [String: Tensor] {
        get { [:] }
        set {}
    }
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
