/// Keras `binary_crossentropy`: `-[y log p + (1 - y) log(1 - p)]` with `p` clipped to `[eps, 1 - eps]`, averaged
/// over the last axis. After a sigmoid (TensorFlow backend) from the logits without clipping:
/// `max(z, 0) - z y + log(1 + e^-|z|)`, gradient `(sigmoid(z) - y) / d`.
public final class BinaryCrossentropy: LogitsLoss {
    public let name = "binary_crossentropy"
    public let sparseTargets = false
    public init() {}

    public func consumesLogits(of activation: ActivationFunction) -> Bool { activation == .sigmoid }

    public func compute(yTrue: Tensor, yPred: Tensor, scale: Float, values: Tensor, gradient: Tensor) {
        LossKernels.binaryCrossentropy(yTrue: yTrue, yPred: yPred, scale: scale, values: values, gradient: gradient)
    }

    public func compute(yTrue: Tensor, logits z: Tensor, yPred: Tensor, scale: Float, values: Tensor, gradient: Tensor) {
        LossKernels.binaryCrossentropy(logits: z, yTrue: yTrue, yPred: yPred, scale: scale, values: values, gradient: gradient)
    }
}
