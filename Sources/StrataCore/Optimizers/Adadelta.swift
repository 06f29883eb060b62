/// Keras 3 `Adadelta` (keras/src/optimizers/adadelta.py): `a = rho a + (1 - rho) g^2`,
/// `delta = -sqrt(d + eps) / sqrt(a + eps) * g`, `d = rho d + (1 - rho) delta^2`, `p += lr delta`.
/// Defaults: lr 0.001, rho 0.95, epsilon 1e-7.
public final class Adadelta: Optimizer {
    public let name = "Adadelta"
    public var learningRate: Float
    public var options = OptimizerOptions()
    public let rho: Float
    public let epsilon: Float
    public let decay: Float

    public init(learningRate: any LearningRateConvertible = Float(0.001), rho: Float = 0.95, epsilon: Float = 1e-7, decay: Float = 0) {
        (self.learningRate, options.schedule) = learningRate.learningRateValue
        self.rho = rho
        self.epsilon = epsilon
        self.decay = decay
    }

    public var slotNames: [String] { ["accumulated_grad", "accumulated_delta_var"] }

    public func update(values: Tensor, gradients: Tensor, slots: [Tensor], scalars: inout [Double], iteration: Int, lr: Float) {
        UpdateKernels.adadelta(
            values: values, gradients: gradients, accumulatedGrad: slots[0], accumulatedDelta: slots[1],
            rho: rho, lr: lr, epsilon: epsilon)
    }

    public var config: [String: JSONValue] {
        ["name": "Adadelta", "learning_rate": JSONValue(learningRate), "rho": JSONValue(rho), "epsilon": JSONValue(epsilon)]
    }
}
