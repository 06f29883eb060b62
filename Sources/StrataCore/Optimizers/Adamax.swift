import Foundation

/// Keras 3 `Adamax` (keras/src/optimizers/adamax.py): `m += (g - m)(1 - b1)`, `u = max(b2 u, |g|)`,
/// `p -= lr m / ((1 - b1^(t+1)) (u + eps))`. Defaults: lr 0.001, 0.9, 0.999, 1e-7.
public final class Adamax: Optimizer {
    public let name = "Adamax"
    public var learningRate: Float
    public var options = OptimizerOptions()
    public let beta1: Float
    public let beta2: Float
    public let epsilon: Float
    public let decay: Float

    public init(
        learningRate: any LearningRateConvertible = Float(0.001), beta1: Float = 0.9, beta2: Float = 0.999, epsilon: Float = 1e-7,
        decay: Float = 0
    ) {
        (self.learningRate, options.schedule) = learningRate.learningRateValue
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.decay = decay
    }

    public var slotNames: [String] { ["m", "u"] }

    public func update(values: Tensor, gradients: Tensor, slots: [Tensor], scalars: inout [Double], iteration: Int, lr: Float) {
        let correction = 1 - powf(beta1, Float(iteration + 1))
        UpdateKernels.adamax(
            values: values, gradients: gradients, m: slots[0], u: slots[1], beta1: beta1, beta2: beta2,
            lr: lr, correction: correction, epsilon: epsilon)
    }

    public var config: [String: JSONValue] {
        [
            "name": "Adamax", "learning_rate": JSONValue(learningRate), "beta_1": JSONValue(beta1), "beta_2": JSONValue(beta2),
            "epsilon": JSONValue(epsilon),
        ]
    }
}
