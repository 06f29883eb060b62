import Foundation

/// Keras 3 `Adam` (keras/src/optimizers/adam.py), "epsilon-hat" form: `m += (g - m)(1 - b1)`,
/// `v += (g^2 - v)(1 - b2)`, `alpha = lr sqrt(1 - b2^(t+1)) / (1 - b1^(t+1))`, `p -= alpha m / (sqrt(v) + eps)`;
/// amsgrad keeps `vhat = max(vhat, v)` and uses it for `v`. Defaults: lr 0.001, 0.9, 0.999, 1e-7.
public final class Adam: Optimizer {
    public let name = "Adam"
    public var learningRate: Float
    public var options = OptimizerOptions()
    public let beta1: Float
    public let beta2: Float
    public let epsilon: Float
    public let amsgrad: Bool
    public let decay: Float

    public init(
        learningRate: any LearningRateConvertible = Float(0.001), beta1: Float = 0.9, beta2: Float = 0.999, epsilon: Float = 1e-7,
        amsgrad: Bool = false, decay: Float = 0
    ) {
        (self.learningRate, options.schedule) = learningRate.learningRateValue
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.amsgrad = amsgrad
        self.decay = decay
    }

    public var slotNames: [String] { ["momentum", "velocity"] + (amsgrad ? ["velocity_hat"] : []) }

    public func update(values: Tensor, gradients: Tensor, slots: [Tensor], scalars: inout [Double], iteration: Int, lr: Float) {
        let t = Float(iteration + 1)
        let alpha = lr * (1 - powf(beta2, t)).squareRoot() / (1 - powf(beta1, t))
        if amsgrad {
            UpdateKernels.amsgrad(
                values: values, gradients: gradients, m: slots[0], v: slots[1], vHat: slots[2],
                beta1: beta1, beta2: beta2, alpha: alpha, epsilon: epsilon)
        } else {
            UpdateKernels.adam(
                values: values, gradients: gradients, m: slots[0], v: slots[1], beta1: beta1, beta2: beta2,
                alpha: alpha, epsilon: epsilon)
        }
    }

    public var config: [String: JSONValue] {
        [
            "name": "Adam", "learning_rate": JSONValue(learningRate), "beta_1": JSONValue(beta1), "beta_2": JSONValue(beta2),
            "epsilon": JSONValue(epsilon), "amsgrad": .bool(amsgrad),
        ]
    }
}
