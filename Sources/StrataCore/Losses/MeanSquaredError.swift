/// Keras `mean_squared_error` (`mse`): `mean((yPred - yTrue)^2)` over the last axis; gradient `2 (p - y) / d`.
public final class MeanSquaredError: Loss {
    public let name = "mean_squared_error"
    public let sparseTargets = false
    public init() {}

    public func compute(yTrue: Tensor, yPred: Tensor, scale: Float, values: Tensor, gradient: Tensor) {
        LossKernels.lastAxisMean(yTrue: yTrue, yPred: yPred, scale: scale, values: values, gradient: gradient) { d, step in
            (d * d, 2 * step * d)
        }
    }
}
