import Foundation

/// Keras 3 `Nadam` (keras/src/optimizers/nadam.py). With `t = iterations + 1`:
/// `u_t = b1 (1 - 0.5 * 0.96^t)`, `u_{t+1} = b1 (1 - 0.5 * 0.96^(t+1))`, the product `P_t = P_{t-1} u_t` (scalar
/// state, starts at 1, advanced once per step), `m += (g - m)(1 - b1)`, `v += (g^2 - v)(1 - b2)`,
/// `mhat = u_{t+1} m / (1 - P_t u_{t+1}) + (1 - u_t) g / (1 - P_t)`, `vhat = v / (1 - b2^t)`,
/// `p -= lr mhat / (sqrt(vhat) + eps)`. Defaults: lr 0.001, 0.9, 0.999, 1e-7.
public final class Nadam: Optimizer {
    public let name = "Nadam"
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

    public var slotNames: [String] { ["momentum", "velocity"] }
    public var initialScalars: [Double] { [1.0] }

    public func update(values: Tensor, gradients: Tensor, slots: [Tensor], scalars: inout [Double], iteration: Int, lr: Float) {
        let t = Float(iteration + 1)
        let ut = beta1 * (1 - 0.5 * powf(0.96, t))
        let ut1 = beta1 * (1 - 0.5 * powf(0.96, t + 1))
        let product = Float(scalars[0]) * ut
        scalars[0] = Double(product)
        let productNext = product * ut1
        let b2Power = powf(beta2, t)
        UpdateKernels.nadam(
            values: values, gradients: gradients, m: slots[0], v: slots[1], beta1: beta1, beta2: beta2,
            lr: lr, ut: ut, ut1: ut1, product: product, productNext: productNext, b2Power: b2Power,
            epsilon: epsilon)
    }

    public var config: [String: JSONValue] {
        [
            "name": "Nadam", "learning_rate": JSONValue(learningRate), "beta_1": JSONValue(beta1), "beta_2": JSONValue(beta2),
            "epsilon": JSONValue(epsilon),
        ]
    }
}
