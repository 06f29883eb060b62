/// Keras `SGD` (keras/src/optimizers/sgd.py): `m = momentum * m - lr * g`; `p += m`, or with Nesterov
/// `p += momentum * m - lr * g`; without momentum `p -= lr * g`. Defaults: lr 0.01, momentum 0, nesterov false.
/// `lr:` is accepted as the old name of `learningRate`, and `decay` gives `lr / (1 + decay * iterations)`.
public final class SGD: Optimizer {
    public let name = "SGD"
    public var learningRate: Float
    public var options = OptimizerOptions()
    public let momentum: Float
    public let nesterov: Bool
    public let decay: Float

    public init(learningRate: any LearningRateConvertible = Float(0.01), momentum: Float = 0, nesterov: Bool = false, decay: Float = 0) {
        (self.learningRate, options.schedule) = learningRate.learningRateValue
        self.momentum = momentum
        self.nesterov = nesterov
        self.decay = decay
    }

    /// The Keras 2 guide's spelling: `SGD(lr: 0.01, decay: 1e-6, momentum: 0.9, nesterov: true)`.
    public convenience init(lr: Float, decay: Float = 0, momentum: Float = 0, nesterov: Bool = false) {
        self.init(learningRate: lr, momentum: momentum, nesterov: nesterov, decay: decay)
    }

    public var slotNames: [String] { momentum != 0 ? ["momentum"] : [] }

    public func update(values: Tensor, gradients: Tensor, slots: [Tensor], scalars: inout [Double], iteration: Int, lr: Float) {
        if momentum == 0 { return UpdateKernels.sgd(values: values, gradients: gradients, lr: lr) }
        UpdateKernels.sgd(
            values: values, gradients: gradients, momentum: slots[0], lr: lr, momentum: momentum,
            nesterov: nesterov)
    }

    public var config: [String: JSONValue] {
        ["name": "SGD", "learning_rate": JSONValue(learningRate), "momentum": JSONValue(momentum), "nesterov": .bool(nesterov)]
    }
}

extension SGD: ZeroGradientUpdating {
    /// Without momentum a zero gradient changes nothing; with it the velocity keeps moving the values.
    public var skipsZeroGradientRows: Bool { momentum == 0 }
    public func applyZeroGradient(slots: [Tensor]) {}
}
