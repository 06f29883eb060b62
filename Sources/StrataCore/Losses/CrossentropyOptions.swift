/// What Keras 3's crossentropies share around their own formula: `label_smoothing` (`y (1 - s) + s / K`, `K` the
/// classes, or 2 for binary) and `from_logits` (the model's output is `z`: the crossentropy takes
/// `activation(z)` with `z` as its logits, so the gradient is with respect to `z`, the model's own output).
final class CrossentropyOptions {
    let fromLogits: Bool
    let labelSmoothing: Float
    let activation: ActivationFunction
    /// Classes the smoothing spreads over: the last axis (categorical) or 2 (binary).
    let binary: Bool
    private var probabilities = LossScratch(), smoothed = LossScratch()

    init(fromLogits: Bool, labelSmoothing: Float, activation: ActivationFunction, binary: Bool) {
        self.fromLogits = fromLogits
        self.labelSmoothing = labelSmoothing
        self.activation = activation
        self.binary = binary
    }

    var arguments: [String: JSONValue] { crossentropyArguments(fromLogits: fromLogits, labelSmoothing: labelSmoothing) }

    /// The labels the crossentropy uses: `yTrue`, smoothed when `labelSmoothing` is set.
    func labels(_ yTrue: Tensor) -> Tensor {
        guard labelSmoothing != 0 else { return yTrue }
        let y = smoothed.buffer(like: yTrue)
        let classes = binary ? 2 : Float(yTrue.shape.last ?? 1)
        LossKernels.affine(yTrue, 1 - labelSmoothing, labelSmoothing / classes, into: y)
        return y
    }

    /// With `fromLogits`: `activation(yPred)`, the probabilities of the logits `yPred`; nil otherwise.
    func probabilities(of yPred: Tensor) -> Tensor? {
        guard fromLogits else { return nil }
        let p = probabilities.buffer(like: yPred)
        activation.apply(yPred, into: p)
        return p
    }
}
