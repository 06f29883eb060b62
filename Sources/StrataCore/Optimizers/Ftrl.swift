/// Keras 3 `Ftrl` (keras/src/optimizers/ftrl.py), with `power = -learning_rate_power`,
/// `l2 = l2_regularization_strength + beta / (2 lr)`: `n' = n + g^2`,
/// `linear += g + 2 l2_shrinkage p - (n'^power - n^power) / lr * p`,
/// `p = (clip(linear, -l1, l1) - linear) / (n'^power / lr + 2 l2)`, `n = n'`. Slots `accumulator` (starts at
/// initial_accumulator_value) and `linear`. Defaults: lr 0.001, learning_rate_power -0.5, 0.1, l1 0, l2 0,
/// l2_shrinkage 0, beta 0.
public final class Ftrl: Optimizer {
    public let name = "Ftrl"
    public var learningRate: Float
    public var options = OptimizerOptions()
    public let learningRatePower: Float
    public let initialAccumulatorValue: Float
    public let l1RegularizationStrength: Float
    public let l2RegularizationStrength: Float
    public let l2ShrinkageRegularizationStrength: Float
    public let beta: Float
    public var decay: Float { 0 }

    public init(
        learningRate: any LearningRateConvertible = Float(0.001), learningRatePower: Float = -0.5,
        initialAccumulatorValue: Float = 0.1, l1RegularizationStrength: Float = 0,
        l2RegularizationStrength: Float = 0, l2ShrinkageRegularizationStrength: Float = 0, beta: Float = 0
    ) {
        (self.learningRate, options.schedule) = learningRate.learningRateValue
        self.learningRatePower = learningRatePower
        self.initialAccumulatorValue = initialAccumulatorValue
        self.l1RegularizationStrength = l1RegularizationStrength
        self.l2RegularizationStrength = l2RegularizationStrength
        self.l2ShrinkageRegularizationStrength = l2ShrinkageRegularizationStrength
        self.beta = beta
    }

    public var slotNames: [String] { ["accumulator", "linear"] }
    public func slotInitialValue(_ i: Int) -> Float { i == 0 ? initialAccumulatorValue : 0 }

    public func update(values: Tensor, gradients: Tensor, slots: [Tensor], scalars: inout [Double], iteration: Int, lr: Float) {
        UpdateKernels.ftrl(
            values: values, gradients: gradients, accumulator: slots[0], linear: slots[1], lr: lr,
            power: -learningRatePower, l1: l1RegularizationStrength,
            l2: l2RegularizationStrength + beta / (2 * lr),
            shrinkage: 2 * l2ShrinkageRegularizationStrength)
    }

    /// Keras's constructor checks.
    public func validateArguments() throws {
        let checks: [(String, Float, Bool)] = [
            ("initial_accumulator_value", initialAccumulatorValue, initialAccumulatorValue >= 0),
            ("learning_rate_power", learningRatePower, learningRatePower <= 0),
            ("l1_regularization_strength", l1RegularizationStrength, l1RegularizationStrength >= 0),
            ("l2_regularization_strength", l2RegularizationStrength, l2RegularizationStrength >= 0),
            ("l2_shrinkage_regularization_strength", l2ShrinkageRegularizationStrength, l2ShrinkageRegularizationStrength >= 0),
        ]
        for (key, value, ok) in checks where !ok {
            throw StrataError.invalidArgument(
                "optimizer Ftrl: '\(key)' must be \(key == "learning_rate_power" ? "<= 0" : ">= 0"), got \(value)",
                hint: "Keras refuses it too")
        }
    }

    public var config: [String: JSONValue] {
        [
            "name": "Ftrl", "learning_rate": JSONValue(learningRate), "learning_rate_power": JSONValue(learningRatePower),
            "initial_accumulator_value": JSONValue(initialAccumulatorValue),
            "l1_regularization_strength": JSONValue(l1RegularizationStrength),
            "l2_regularization_strength": JSONValue(l2RegularizationStrength),
            "l2_shrinkage_regularization_strength": JSONValue(l2ShrinkageRegularizationStrength), "beta": JSONValue(beta),
        ]
    }
}
