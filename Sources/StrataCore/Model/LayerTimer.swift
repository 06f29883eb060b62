import Dispatch

/// Opt-in per-layer timing of `fit`'s forward and backward passes (`model.layerTimer = LayerTimer()`), so a slow
/// layer is visible (`strata-bench --profile`). When `layerTimer` is nil the model pays one nil check per layer.
///
/// Seconds are wall time on this rank, summed over every training step since the timer was attached.
public final class LayerTimer {
    /// Forward seconds of layer `i` (training and inference steps alike).
    public private(set) var forwardSeconds: [Double] = []
    /// Backward seconds of layer `i` (the weight gradients it adds and its input gradient).
    public private(set) var backwardSeconds: [Double] = []
    /// Forward calls of layer 0 (one per step).
    public private(set) var steps = 0
    /// Samples (rows of the batch) through the forward passes, and through the backward passes.
    public private(set) var forwardSamples = 0, backwardSamples = 0
    /// Seconds in the optimizer step (clipping, decay, update, EMA; under ZeRO-1 this rank's part only).
    public private(set) var updateSeconds = 0.0, updates = 0
    /// Seconds of each step phase outside the layers (`Phase`), in `Phase.allCases` order.
    public private(set) var phaseSeconds = [Double](repeating: 0, count: Phase.allCases.count)

    /// The parts of a training step outside the layers' forward and backward, so the step's "rest" can be split.
    public enum Phase: String, CaseIterable, Sendable {
        /// Clearing the step buffer (or only the rows the last step wrote).
        case zeroing = "zero gradients"
        /// Reading this rank's rows and checking them (training and validation batches).
        case data = "read and check data"
        /// The loss, its gradient and the metric sums.
        case loss = "loss and metrics"
        /// The row exchange's first collective: where a rank waits for the slower one.
        case rowWait = "row exchange: wait for ranks"
        /// The rest of the row exchange: the gathered rows and adding them.
        case rowExchange = "row exchange: rows"
        /// Waiting for the dense gradients' all-reduce after backward.
        case denseWait = "dense all-reduce wait"
    }

    public init() {}

    @inline(__always) static func now() -> UInt64 { DispatchTime.now().uptimeNanoseconds }

    func addForward(_ layer: Int, since start: UInt64, samples: Int) {
        let dt = Double(LayerTimer.now() &- start) * 1e-9
        if forwardSeconds.count <= layer {
            forwardSeconds += Array(repeating: 0, count: layer + 1 - forwardSeconds.count)
        }
        forwardSeconds[layer] += dt
        if layer == 0 { steps += 1; forwardSamples += samples }
    }

    func addBackward(_ layer: Int, since start: UInt64, samples: Int) {
        let dt = Double(LayerTimer.now() &- start) * 1e-9
        if backwardSeconds.count <= layer {
            backwardSeconds += Array(repeating: 0, count: layer + 1 - backwardSeconds.count)
        }
        backwardSeconds[layer] += dt
        if layer == 0 { backwardSamples += samples }
    }

    func addUpdate(since start: UInt64) {
        updateSeconds += Double(LayerTimer.now() &- start) * 1e-9
        updates += 1
    }

    func add(_ phase: Phase, since start: UInt64) {
        phaseSeconds[Phase.allCases.firstIndex(of: phase)!] += Double(LayerTimer.now() &- start) * 1e-9
    }

    /// Forgets every sum (e.g. after a warm-up epoch).
    public func reset() {
        forwardSeconds = forwardSeconds.map { _ in 0 }
        backwardSeconds = backwardSeconds.map { _ in 0 }
        steps = 0
        forwardSamples = 0
        backwardSamples = 0
        updateSeconds = 0
        updates = 0
        phaseSeconds = phaseSeconds.map { _ in 0 }
    }
}
