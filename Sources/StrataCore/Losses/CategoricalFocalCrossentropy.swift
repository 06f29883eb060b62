/// Keras `CategoricalFocalCrossentropy` (`categorical_focal_crossentropy`): with `y` smoothed to
/// `y (1 - s) + s / K` and `q = clip(p / sum(p), eps, 1 - eps)`, `-sum(alpha (1 - q)^gamma y log q)` over the last
/// axis (keras/src/losses/losses.py `categorical_focal_crossentropy`). With `fromLogits`, `p = softmax(yPred)`
/// first (still clipped, as in Keras) and the gradient is with respect to the logits.
public final class CategoricalFocalCrossentropy: Loss, ConfigurableLoss {
    public let name = "categorical_focal_crossentropy"
    public let sparseTargets = false
    public let alpha: Float
    public let gamma: Float
    public let fromLogits: Bool
    public let labelSmoothing: Float
    /// Softmax of the logits (with `fromLogits`), reused while the shape holds.
    private var probabilities = LossScratch()

    public init(alpha: Float = 0.25, gamma: Float = 2.0, fromLogits: Bool = false, labelSmoothing: Float = 0.0) {
        self.alpha = alpha
        self.gamma = gamma
        self.fromLogits = fromLogits
        self.labelSmoothing = labelSmoothing
    }

    public var kerasClassName: String { "CategoricalFocalCrossentropy" }
    public var kerasName: String { "categorical_focal_crossentropy" }
    public var arguments: [String: JSONValue] {
        crossentropyArguments(fromLogits: fromLogits, labelSmoothing: labelSmoothing, alpha: alpha, gamma: gamma)
    }

    public func compute(yTrue: Tensor, yPred: Tensor, scale: Float, values: Tensor, gradient: Tensor) {
        var p = yPred
        if fromLogits {
            p = probabilities.buffer(like: yPred)
            ActivationFunction.softmax.apply(yPred, into: p)
        }
        LossKernels.categoricalFocal(
            yTrue: yTrue, probabilities: p, softmaxInput: fromLogits, alpha: alpha, gamma: gamma,
            smoothing: labelSmoothing, scale: scale, values: values, gradient: gradient)
    }
}
