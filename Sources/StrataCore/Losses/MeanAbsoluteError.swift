/// Keras `mean_absolute_error` (`mae`): `mean(|yPred - yTrue|)` over the last axis; gradient `sign(p - y) / d`.
public final class MeanAbsoluteError: Loss {
    public let name = "mean_absolute_error"
    public let sparseTargets = false
    public init() {}

    public func compute(yTrue: Tensor, yPred: Tensor, scale: Float, values: Tensor, gradient: Tensor) {
        LossKernels.lastAxisMean(yTrue: yTrue, yPred: yPred, scale: scale, values: values, gradient: gradient) { d, step in
            (abs(d), d > 0 ? step : (d < 0 ? -step : 0))
        }
    }
}
