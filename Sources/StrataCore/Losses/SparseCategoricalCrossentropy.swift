/// Keras `sparse_categorical_crossentropy`: targets are integer class ids (shape `(N,)` or `(N, 1)`, stored as
/// Float), loss `-log(p[label])` with `p` normalised and clipped to `[eps, 1 - eps]`, or from the logits after a
/// softmax (TensorFlow backend): `logsumexp(z) - z[label]`, gradient `softmax(z) - onehot(label)`.
public final class SparseCategoricalCrossentropy: Loss {
    public let name = "sparse_categorical_crossentropy"
    public let sparseTargets = true
    public init() {}

    public func compute(yTrue: Tensor, yPred: Tensor, logits: (Tensor, ActivationFunction)?, scale: Float,
                        values: Tensor, gradient: Tensor) -> Bool {
        if let (z, act) = logits, act == .softmax {
            LossKernels.sparseCategoricalCrossentropy(logits: z, yTrue: yTrue, yPred: yPred, scale: scale, values: values,
                                                      gradient: gradient)
            return true
        }
        LossKernels.sparseCategoricalCrossentropy(yTrue: yTrue, yPred: yPred, scale: scale, values: values,
                                                  gradient: gradient)
        return false
    }
}
