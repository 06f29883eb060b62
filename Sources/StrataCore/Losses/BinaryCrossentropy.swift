/// Keras `binary_crossentropy`: `-[y log p + (1 - y) log(1 - p)]` with `p` clipped to `[eps, 1 - eps]`, averaged
/// over the last axis. After a sigmoid (TensorFlow backend) from the logits without clipping:
/// `max(z, 0) - z y + log(1 + e^-|z|)`, gradient `(sigmoid(z) - y) / d`.
/// Keras 3 arguments: `fromLogits` (the model's output is `z`: the logits form above, gradient with respect to `z`)
/// and `labelSmoothing` (`y (1 - s) + s / 2`) (keras/src/losses/losses.py `BinaryCrossentropy`).
public final class BinaryCrossentropy: LogitsLoss, ConfigurableLoss {
    public let name = "binary_crossentropy"
    public let sparseTargets = false
    public var fromLogits: Bool { options.fromLogits }
    public var labelSmoothing: Float { options.labelSmoothing }
    private let options: CrossentropyOptions
    public init(fromLogits: Bool = false, labelSmoothing: Float = 0) {
        options = CrossentropyOptions(fromLogits: fromLogits, labelSmoothing: labelSmoothing, activation: .sigmoid, binary: true)
    }

    public var kerasClassName: String { "BinaryCrossentropy" }
    public var kerasName: String { name }
    public var arguments: [String: JSONValue] { options.arguments }

    /// Keras's TensorFlow backend uses the logits of a sigmoid output, unless the output already is logits (`fromLogits`).
    public func consumesLogits(of activation: ActivationFunction) -> Bool { !fromLogits && activation == .sigmoid }

    public func compute(yTrue: Tensor, yPred: Tensor, scale: Float, values: Tensor, gradient: Tensor) {
        let y = options.labels(yTrue)
        if let p = options.probabilities(of: yPred) {  // yPred is z: the gradient is with respect to the model's output
            LossKernels.binaryCrossentropy(logits: yPred, yTrue: y, yPred: p, scale: scale, values: values, gradient: gradient)
        } else {
            LossKernels.binaryCrossentropy(yTrue: y, yPred: yPred, scale: scale, values: values, gradient: gradient)
        }
    }

    public func compute(yTrue: Tensor, logits z: Tensor, yPred: Tensor, scale: Float, values: Tensor, gradient: Tensor) {
        LossKernels.binaryCrossentropy(
            logits: z, yTrue: options.labels(yTrue), yPred: yPred, scale: scale, values: values, gradient: gradient)
    }
}
