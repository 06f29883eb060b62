/// Keras `sparse_categorical_crossentropy`: targets are integer class ids (shape `(N,)` or `(N, 1)`, stored as
/// Float), loss `-log(p[label])` with `p` normalised and clipped to `[eps, 1 - eps]`, or from the logits after a
/// softmax (TensorFlow backend): `logsumexp(z) - z[label]`, gradient `softmax(z) - onehot(label)`.
public final class SparseCategoricalCrossentropy: LogitsLoss {
    public let name = "sparse_categorical_crossentropy"
    public let sparseTargets = true
    public init() {}

    public func consumesLogits(of activation: ActivationFunction) -> Bool { activation == .softmax }

    public func compute(yTrue: Tensor, yPred: Tensor, scale: Float, values: Tensor, gradient: Tensor) {
        LossKernels.sparseCategoricalCrossentropy(yTrue: yTrue, yPred: yPred, scale: scale, values: values, gradient: gradient)
    }

    public func compute(yTrue: Tensor, logits z: Tensor, yPred: Tensor, scale: Float, values: Tensor, gradient: Tensor) {
        LossKernels.sparseCategoricalCrossentropy(logits: z, yTrue: yTrue, yPred: yPred, scale: scale, values: values, gradient: gradient)
    }
}
