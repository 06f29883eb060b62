/// Keras `binary_crossentropy`: `-[y log p + (1 - y) log(1 - p)]` with `p` clipped to `[eps, 1 - eps]`, averaged
/// over the last axis. After a sigmoid (TensorFlow backend) from the logits without clipping:
/// `max(z, 0) - z y + log(1 + e^-|z|)`, gradient `(sigmoid(z) - y) / d`.
public final class BinaryCrossentropy: Loss {
    public let name = "binary_crossentropy"
    public let sparseTargets = false
    public init() {}

    public func compute(yTrue: Tensor, yPred: Tensor, logits: (Tensor, ActivationFunction)?, scale: Float,
                        values: Tensor, gradient: Tensor) -> Bool {
        if let (z, act) = logits, act == .sigmoid {
            LossKernels.binaryCrossentropy(logits: z, yTrue: yTrue, yPred: yPred, scale: scale, values: values,
                                           gradient: gradient)
            return true
        }
        LossKernels.binaryCrossentropy(yTrue: yTrue, yPred: yPred, scale: scale, values: values, gradient: gradient)
        return false
    }
}
