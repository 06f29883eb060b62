/// Keras `categorical_crossentropy`: `-sum(y * log(p))` over the last axis.
///
/// From probabilities: `p = clip(p / sum(p), eps, 1 - eps)` (eps = 1e-7). After a softmax (TensorFlow backend)
/// it is computed from the logits `z` without clipping: `sum(y) * logsumexp(z) - sum(y * z)`, gradient
/// `softmax(z) * sum(y) - y`. Targets need not be one-hot.
public final class CategoricalCrossentropy: Loss {
    public let name = "categorical_crossentropy"
    public let sparseTargets = false
    public init() {}

    public func compute(yTrue: Tensor, yPred: Tensor, logits: (Tensor, ActivationFunction)?, scale: Float,
                        values: Tensor, gradient: Tensor) -> Bool {
        if let (z, act) = logits, act == .softmax {
            LossKernels.categoricalCrossentropy(logits: z, yTrue: yTrue, yPred: yPred, scale: scale, values: values,
                                                gradient: gradient)
            return true
        }
        LossKernels.categoricalCrossentropy(yTrue: yTrue, yPred: yPred, scale: scale, values: values, gradient: gradient)
        return false
    }
}
