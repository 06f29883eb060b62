/// A Keras loss: per-sample values (the last axis reduced) and their gradient, in one pass.
///
/// Reduction is Keras's `sum_over_batch_size`: the batch loss is `sum(values) / N`, N the number of per-sample
/// values in the GLOBAL batch; `gradient` receives `d(batch loss)/d(yPred)` with that `scale = 1/N`.
public protocol Loss: AnyObject {
    /// Keras's identifier (`categorical_crossentropy`).
    var name: String { get }
    /// Whether `yTrue` holds integer class ids (one per sample) rather than a tensor shaped like `yPred`.
    var sparseTargets: Bool { get }
    /// Writes per-sample losses into `values` (`yPred.count / lastDim` scalars) and the scaled gradient with respect
    /// to `yPred` into `gradient` (shaped like `yPred`).
    func compute(yTrue: Tensor, yPred: Tensor, scale: Float, values: Tensor, gradient: Tensor)
}

/// A loss that Keras's TensorFlow backend computes from the logits `z` when the output is `activation(z)`
/// (softmax or sigmoid + crossentropy): no clipping, and the gradient goes straight to `z`. The model asks its
/// last layer for the logits once per run (`Sequential.logitsOutput(for:)`) and starts backward at them.
public protocol LogitsLoss: Loss {
    /// Whether this loss uses the logits of an output computed with `activation`.
    func consumesLogits(of activation: ActivationFunction) -> Bool
    /// Per-sample losses from the logits `z` (`yPred = activation(z)`, given too) and the scaled gradient with
    /// respect to `z`.
    func compute(yTrue: Tensor, logits z: Tensor, yPred: Tensor, scale: Float, values: Tensor, gradient: Tensor)
}

extension Loss {
    /// The API before `LogitsLoss`: the gradient is with respect to the logits (and the result true) when `logits`
    /// is given and the loss consumes them.
    @available(*, deprecated, message: "call compute(yTrue:yPred:scale:values:gradient:), or LogitsLoss's compute(yTrue:logits:...)")
    public func compute(
        yTrue: Tensor, yPred: Tensor, logits: (Tensor, ActivationFunction)?, scale: Float,
        values: Tensor, gradient: Tensor
    ) -> Bool {
        if let (z, activation) = logits, let l = self as? LogitsLoss, l.consumesLogits(of: activation) {
            l.compute(yTrue: yTrue, logits: z, yPred: yPred, scale: scale, values: values, gradient: gradient)
            return true
        }
        compute(yTrue: yTrue, yPred: yPred, scale: scale, values: values, gradient: gradient)
        return false
    }
}

/// Loss lookup by Keras identifier and alias.
public enum Losses {
    /// Makes a loss from a Keras name or alias (`"mse"`, `"mean_squared_error"`, `"categorical_crossentropy"`...).
    public static func named(_ id: String) throws -> Loss { try make(id) }

    static let epsilon: Float = 1e-7
}
