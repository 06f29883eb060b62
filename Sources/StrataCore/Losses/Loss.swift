/// A Keras loss: per-sample values (the last axis reduced) and their gradient, in one pass.
///
/// Reduction is Keras's `sum_over_batch_size`: the batch loss is `sum(values) / N`, N the number of per-sample
/// values in the GLOBAL batch; `gradient` receives `d(batch loss)/d(yPred)` (or `/d(logits)`) with that `scale = 1/N`.
public protocol Loss: AnyObject {
    /// Keras's identifier (`categorical_crossentropy`).
    var name: String { get }
    /// Whether `yTrue` holds integer class ids (one per sample) rather than a tensor shaped like `yPred`.
    var sparseTargets: Bool { get }
    /// Writes per-sample losses into `values` (`yPred.count / lastDim` scalars) and the scaled gradient into
    /// `gradient` (shaped like `yPred`). When `logits` is given (the output activation is softmax/sigmoid and the
    /// loss can use it, as Keras's TensorFlow backend does), the gradient is with respect to the logits and the
    /// function returns true.
    func compute(yTrue: Tensor, yPred: Tensor, logits: (Tensor, ActivationFunction)?, scale: Float,
                 values: Tensor, gradient: Tensor) -> Bool
}

/// Loss lookup by Keras identifier and alias.
public enum Losses {
    /// Makes a loss from a Keras name or alias (`"mse"`, `"mean_squared_error"`, `"categorical_crossentropy"`...).
    public static func named(_ id: String) throws -> Loss { try make(id) }

    static let epsilon: Float = 1e-7
}
