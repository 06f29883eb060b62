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

    /// Runs `crossentropy(y, p, logits)` on the smoothed labels and, with `fromLogits`, on `activation(yPred)` with
    /// `yPred` as the logits; returns whether the gradient is with respect to a layer's logits (never with `fromLogits`).
    func compute(yTrue: Tensor, yPred: Tensor, logits: (Tensor, ActivationFunction)?,
                 _ crossentropy: (Tensor, Tensor, (Tensor, ActivationFunction)?) -> Bool) -> Bool {
        var y = yTrue
        if labelSmoothing != 0 {
            y = smoothed.buffer(like: yTrue)
            let classes = binary ? 2 : Float(yTrue.shape.last ?? 1)
            LossKernels.affine(yTrue, 1 - labelSmoothing, labelSmoothing / classes, into: y)
        }
        guard fromLogits else { return crossentropy(y, yPred, logits) }
        let p = probabilities.buffer(like: yPred)
        activation.apply(yPred, into: p)
        _ = crossentropy(y, p, (yPred, activation))
        return false
    }
}
