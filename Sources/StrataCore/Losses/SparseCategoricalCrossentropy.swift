/// Keras `sparse_categorical_crossentropy`: targets are integer class ids (shape `(N,)` or `(N, 1)`, stored as
/// Float), loss `-log(p[label])` with `p` normalised and clipped to `[eps, 1 - eps]`, or from the logits after a
/// softmax (TensorFlow backend): `logsumexp(z) - z[label]`, gradient `softmax(z) - onehot(label)`.
/// Keras 3 argument: `fromLogits` (the model's output is `z`: the logits form above, gradient with respect to `z`);
/// Keras's `ignore_class` is not supported (keras/src/losses/losses.py `SparseCategoricalCrossentropy`).
public final class SparseCategoricalCrossentropy: LogitsLoss, ConfigurableLoss {
    public let name = "sparse_categorical_crossentropy"
    public let sparseTargets = true
    public var fromLogits: Bool { options.fromLogits }
    private let options: CrossentropyOptions
    public init(fromLogits: Bool = false) {
        options = CrossentropyOptions(fromLogits: fromLogits, labelSmoothing: 0, activation: .softmax, binary: false)
    }

    public var kerasClassName: String { "SparseCategoricalCrossentropy" }
    public var kerasName: String { name }
    public var arguments: [String: JSONValue] { options.arguments }

    /// Keras's TensorFlow backend uses the logits of a softmax output, unless the output already is logits (`fromLogits`).
    public func consumesLogits(of activation: ActivationFunction) -> Bool { !fromLogits && activation == .softmax }

    public func compute(yTrue: Tensor, yPred: Tensor, scale: Float, values: Tensor, gradient: Tensor) {
        let y = options.labels(yTrue)
        if let p = options.probabilities(of: yPred) {  // yPred is z: the gradient is with respect to the model's output
            LossKernels.sparseCategoricalCrossentropy(logits: yPred, yTrue: y, yPred: p, scale: scale, values: values, gradient: gradient)
        } else {
            LossKernels.sparseCategoricalCrossentropy(yTrue: y, yPred: yPred, scale: scale, values: values, gradient: gradient)
        }
    }

    public func compute(yTrue: Tensor, logits z: Tensor, yPred: Tensor, scale: Float, values: Tensor, gradient: Tensor) {
        LossKernels.sparseCategoricalCrossentropy(
            logits: z, yTrue: options.labels(yTrue), yPred: yPred, scale: scale, values: values, gradient: gradient)
    }
}
