/// Keras `categorical_crossentropy`: `-sum(y * log(p))` over the last axis.
///
/// From probabilities: `p = clip(p / sum(p), eps, 1 - eps)` (eps = 1e-7). After a softmax (TensorFlow backend)
/// it is computed from the logits `z` without clipping: `sum(y) * logsumexp(z) - sum(y * z)`, gradient
/// `softmax(z) * sum(y) - y`. Targets need not be one-hot.
public final class CategoricalCrossentropy: LogitsLoss {
    public let name = "categorical_crossentropy"
    public let sparseTargets = false
    public init() {}

    public func consumesLogits(of activation: ActivationFunction) -> Bool { activation == .softmax }

    public func compute(yTrue: Tensor, yPred: Tensor, scale: Float, values: Tensor, gradient: Tensor) {
        LossKernels.categoricalCrossentropy(yTrue: yTrue, yPred: yPred, scale: scale, values: values, gradient: gradient)
    }

    public func compute(yTrue: Tensor, logits z: Tensor, yPred: Tensor, scale: Float, values: Tensor, gradient: Tensor) {
        LossKernels.categoricalCrossentropy(logits: z, yTrue: yTrue, yPred: yPred, scale: scale, values: values, gradient: gradient)
    }
}
