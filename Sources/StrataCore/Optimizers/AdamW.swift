/// Keras 3 `AdamW` (keras/src/optimizers/adamw.py): `Adam` whose `weight_decay` defaults to 0.004 and is required.
/// The decay is the base optimizer's decoupled one (`Optimizer.apply`: `w -= w * weight_decay * lr` before the
/// Adam update). Defaults: lr 0.001, weight_decay 0.004, 0.9, 0.999, 1e-7, amsgrad false.
public final class AdamW: Optimizer {
    public let name = "AdamW"
    public var options = OptimizerOptions()
    /// The Adam update it runs (same slots, same formula).
    let adam: Adam

    public var learningRate: Float {
        get { adam.learningRate }
        set { adam.learningRate = newValue }
    }
    public var decay: Float { 0 }
    public var weightDecay: Float { options.weightDecay ?? 0 }

    public init(
        learningRate: any LearningRateConvertible = Float(0.001), weightDecay: Float = 0.004, beta1: Float = 0.9,
        beta2: Float = 0.999, epsilon: Float = 1e-7, amsgrad: Bool = false
    ) {
        adam = Adam(learningRate: learningRate, beta1: beta1, beta2: beta2, epsilon: epsilon, amsgrad: amsgrad)
        options.schedule = adam.options.schedule
        options.weightDecay = weightDecay
    }

    public var slotNames: [String] { adam.slotNames }

    public func update(values: Tensor, gradients: Tensor, slots: [Tensor], scalars: inout [Double], iteration: Int, lr: Float) {
        adam.update(values: values, gradients: gradients, slots: slots, scalars: &scalars, iteration: iteration, lr: lr)
    }

    public func validateArguments() throws {
        guard options.weightDecay != nil else {
            throw StrataError.invalidArgument(
                "optimizer AdamW: 'weight_decay' must be a number, got null", hint: "e.g. weight_decay: 0.004")
        }
    }

    public var config: [String: JSONValue] {
        var c = adam.config
        c["name"] = "AdamW"
        c["weight_decay"] = JSONValue(weightDecay)
        return c
    }
}
