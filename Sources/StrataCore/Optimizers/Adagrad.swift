/// Keras 3 `Adagrad` (keras/src/optimizers/adagrad.py): `a += g^2; p -= lr g / sqrt(a + eps)` (epsilon inside).
/// Defaults: lr 0.001, initial_accumulator_value 0.1, epsilon 1e-7.
public final class Adagrad: Optimizer {
    public let name = "Adagrad"
    public var learningRate: Float
    public var options = OptimizerOptions()
    public let initialAccumulatorValue: Float
    public let epsilon: Float
    public let decay: Float

    public init(
        learningRate: any LearningRateConvertible = Float(0.001), initialAccumulatorValue: Float = 0.1, epsilon: Float = 1e-7,
        decay: Float = 0
    ) {
        (self.learningRate, options.schedule) = learningRate.learningRateValue
        self.initialAccumulatorValue = initialAccumulatorValue
        self.epsilon = epsilon
        self.decay = decay
    }

    public var slotNames: [String] { ["accumulator"] }
    public func slotInitialValue(_ i: Int) -> Float { initialAccumulatorValue }

    public func update(values: Tensor, gradients: Tensor, slots: [Tensor], scalars: inout [Double], iteration: Int, lr: Float) {
        UpdateKernels.adagrad(values: values, gradients: gradients, accumulator: slots[0], lr: lr, epsilon: epsilon)
    }

    public var config: [String: JSONValue] {
        [
            "name": "Adagrad", "learning_rate": JSONValue(learningRate),
            "initial_accumulator_value": JSONValue(initialAccumulatorValue), "epsilon": JSONValue(epsilon),
        ]
    }
}
