/// Keras `MeanSquaredLogarithmicError` (`mean_squared_logarithmic_error`, `msle`):
/// `mean((log(max(p, eps) + 1) - log(max(y, eps) + 1))^2)` over the last axis (keras/src/losses/losses.py
/// `mean_squared_logarithmic_error`).
public final class MeanSquaredLogarithmicError: Loss, ConfigurableLoss {
    public let name = "mean_squared_logarithmic_error"
    public let sparseTargets = false
    public init() {}

    public var kerasClassName: String { "MeanSquaredLogarithmicError" }
    public var kerasName: String { "mean_squared_logarithmic_error" }
    public var arguments: [String: JSONValue] { [:] }

    public func compute(yTrue: Tensor, yPred: Tensor, scale: Float, values: Tensor, gradient: Tensor) {
        let eps = Losses.epsilon
        LossKernels.elementwise(yTrue: yTrue, yPred: yPred, scale: scale, values: values, gradient: gradient) { y, p in
            let pc = max(p, eps)
            let d = Kernels.log(pc + 1) - Kernels.log(max(y, eps) + 1)
            return (d * d, p >= eps ? 2 * d / (pc + 1) : 0)
        }
    }
}
