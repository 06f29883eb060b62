/// Keras `MeanAbsolutePercentageError` (`mean_absolute_percentage_error`, `mape`):
/// `100 mean(|y - p| / max(|y|, eps))` over the last axis (keras/src/losses/losses.py
/// `mean_absolute_percentage_error`).
public final class MeanAbsolutePercentageError: Loss, ConfigurableLoss {
    public let name = "mean_absolute_percentage_error"
    public let sparseTargets = false
    public init() {}

    public var kerasClassName: String { "MeanAbsolutePercentageError" }
    public var kerasName: String { "mean_absolute_percentage_error" }
    public var arguments: [String: JSONValue] { [:] }

    public func compute(yTrue: Tensor, yPred: Tensor, scale: Float, values: Tensor, gradient: Tensor) {
        let eps = Losses.epsilon
        LossKernels.elementwise(yTrue: yTrue, yPred: yPred, scale: scale, values: values, gradient: gradient) { y, p in
            let d = 1 / max(abs(y), eps)
            let e = (p - y) * d
            return (100 * abs(e), e > 0 ? 100 * d : (e < 0 ? -100 * d : 0))
        }
    }
}
