/// Keras 3 `RMSprop` (keras/src/optimizers/rmsprop.py): `a = rho a + (1 - rho) g^2`; centered:
/// `mg = rho mg + (1 - rho) g`, denominator `a - mg^2 + eps`, else `a + eps` (epsilon INSIDE the square root);
/// `inc = lr g / sqrt(denominator)`; with momentum `v = momentum v + inc; p -= v`, else `p -= inc`.
/// Defaults: lr 0.001, rho 0.9, momentum 0, epsilon 1e-7, centered false.
public final class RMSprop: Optimizer {
    public let name = "RMSprop"
    public var learningRate: Float
    public var options = OptimizerOptions()
    public let rho: Float
    public let momentum: Float
    public let epsilon: Float
    public let centered: Bool
    public let decay: Float

    public init(
        learningRate: any LearningRateConvertible = Float(0.001), rho: Float = 0.9, momentum: Float = 0, epsilon: Float = 1e-7,
        centered: Bool = false, decay: Float = 0
    ) {
        (self.learningRate, options.schedule) = learningRate.learningRateValue
        self.rho = rho
        self.momentum = momentum
        self.epsilon = epsilon
        self.centered = centered
        self.decay = decay
    }

    public convenience init(lr: Float, rho: Float = 0.9, epsilon: Float = 1e-7, decay: Float = 0) {
        self.init(learningRate: lr, rho: rho, epsilon: epsilon, decay: decay)
    }

    public var slotNames: [String] {
        ["velocity"] + (momentum > 0 ? ["momentum"] : []) + (centered ? ["average_gradient"] : [])
    }

    public func update(values: Tensor, gradients: Tensor, slots: [Tensor], scalars: inout [Double], iteration: Int, lr: Float) {
        let mom = momentum > 0 ? slots[1] : nil
        let mg = centered ? slots[momentum > 0 ? 2 : 1] : nil
        if mom == nil && mg == nil {  // Keras's default: the vectorised kernel, identical results
            return UpdateKernels.rmsprop(
                values: values, gradients: gradients, accumulator: slots[0], rho: rho, lr: lr,
                epsilon: epsilon)
        }
        UpdateKernels.rmsprop(
            values: values, gradients: gradients, accumulator: slots[0], momentum: mom,
            averageGradient: mg, rho: rho, momentum: momentum, lr: lr, epsilon: epsilon)
    }

    public var config: [String: JSONValue] {
        [
            "name": "RMSprop", "learning_rate": JSONValue(learningRate), "rho": JSONValue(rho), "momentum": JSONValue(momentum),
            "epsilon": JSONValue(epsilon), "centered": .bool(centered),
        ]
    }
}

extension RMSprop: ZeroGradientUpdating {
    /// Plain RMSprop only: with momentum the values keep moving, and centered adds a second slot rule.
    public var skipsZeroGradientRows: Bool { momentum == 0 && !centered && epsilon > 0 }

    /// `a = rho a + (1 - rho) 0^2` is exactly `rho a`; `p -= lr 0 / sqrt(a + eps)` leaves `p` as it is.
    public func applyZeroGradient(slots: [Tensor]) {
        UpdateKernels.scale(slots[0], by: rho)
    }

    /// `a = rho a`, `times` times (rounded each time, as the steps would).
    public func applyZeroGradient(slots: [Tensor], times: Int) {
        UpdateKernels.scale(slots[0], by: rho, times: times)
    }

    /// Plain RMSprop's catch-up and step in one C pass over each row (the rows of a large table are cold in cache).
    public func updateRows(
        _ rows: SparseRows, values: Tensor, gradients: Tensor, slots: [Tensor], scalars: inout [Double], iteration: Int,
        lr: Float
    ) {
        guard momentum == 0 && !centered else {
            return updateRowsInRuns(
                rows, values: values, gradients: gradients, slots: slots, scalars: &scalars, iteration: iteration, lr: lr)
        }
        UpdateKernels.rmspropRows(
            values: values, gradients: gradients, accumulator: slots[0], rows: rows, rho: rho, lr: lr, epsilon: epsilon)
    }
}
