/// Keras `categorical_crossentropy`: `-sum(y * log(p))` over the last axis.
///
/// From probabilities: `p = clip(p / sum(p), eps, 1 - eps)` (eps = 1e-7). After a softmax (TensorFlow backend)
/// it is computed from the logits `z` without clipping: `sum(y) * logsumexp(z) - sum(y * z)`, gradient
/// `softmax(z) * sum(y) - y`. Targets need not be one-hot.
/// Keras 3 arguments: `fromLogits` (the model's output is `z`: the logits form above, gradient with respect to `z`)
/// and `labelSmoothing` (`y (1 - s) + s / K`, K classes) (keras/src/losses/losses.py `CategoricalCrossentropy`).
public final class CategoricalCrossentropy: LogitsLoss, ConfigurableLoss {
    public let name = "categorical_crossentropy"
    public let sparseTargets = false
    public var fromLogits: Bool { options.fromLogits }
    public var labelSmoothing: Float { options.labelSmoothing }
    private let options: CrossentropyOptions
    public init(fromLogits: Bool = false, labelSmoothing: Float = 0) {
        options = CrossentropyOptions(fromLogits: fromLogits, labelSmoothing: labelSmoothing, activation: .softmax, binary: false)
    }

    public var kerasClassName: String { "CategoricalCrossentropy" }
    public var kerasName: String { name }
    public var arguments: [String: JSONValue] { options.arguments }

    /// Keras's TensorFlow backend uses the logits of a softmax output, unless the output already is logits (`fromLogits`).
    public func consumesLogits(of activation: ActivationFunction) -> Bool { !fromLogits && activation == .softmax }

    public func compute(yTrue: Tensor, yPred: Tensor, scale: Float, values: Tensor, gradient: Tensor) {
        let y = options.labels(yTrue)
        if let p = options.probabilities(of: yPred) {  // yPred is z: the gradient is with respect to the model's output
            LossKernels.categoricalCrossentropy(logits: yPred, yTrue: y, yPred: p, scale: scale, values: values, gradient: gradient)
        } else {
            LossKernels.categoricalCrossentropy(yTrue: y, yPred: yPred, scale: scale, values: values, gradient: gradient)
        }
    }

    public func compute(yTrue: Tensor, logits z: Tensor, yPred: Tensor, scale: Float, values: Tensor, gradient: Tensor) {
        LossKernels.categoricalCrossentropy(
            logits: z, yTrue: options.labels(yTrue), yPred: yPred, scale: scale, values: values, gradient: gradient)
    }
}
