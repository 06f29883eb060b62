/// Keras 3 `Lion` (keras/src/optimizers/lion.py): `p -= lr * sign(b1 m + (1 - b1) g)`, then
/// `m = b2 m + (1 - b2) g`. Defaults: lr 0.001, beta_1 0.9, beta_2 0.99 (Keras requires 0 < beta_1 <= 1).
public final class Lion: Optimizer {
    public let name = "Lion"
    public var learningRate: Float
    public var options = OptimizerOptions()
    public let beta1: Float
    public let beta2: Float
    public var decay: Float { 0 }

    public init(
        learningRate: any LearningRateConvertible = Float(0.001), beta1: Float = 0.9, beta2: Float = 0.99,
        weightDecay: Float? = nil
    ) {
        (self.learningRate, options.schedule) = learningRate.learningRateValue
        self.beta1 = beta1
        self.beta2 = beta2
        options.weightDecay = weightDecay
    }

    public var slotNames: [String] { ["momentum"] }

    public func update(values: Tensor, gradients: Tensor, slots: [Tensor], scalars: inout [Double], iteration: Int, lr: Float) {
        UpdateKernels.lion(values: values, gradients: gradients, m: slots[0], beta1: beta1, beta2: beta2, lr: lr)
    }

    public func validateArguments() throws {
        guard beta1 > 0 && beta1 <= 1 else {
            throw StrataError.invalidArgument("optimizer Lion: 'beta_1' must be between (0, 1], got \(beta1)", hint: "e.g. beta_1: 0.9")
        }
    }

    public var config: [String: JSONValue] {
        ["name": "Lion", "learning_rate": JSONValue(learningRate), "beta_1": JSONValue(beta1), "beta_2": JSONValue(beta2)]
    }
}
