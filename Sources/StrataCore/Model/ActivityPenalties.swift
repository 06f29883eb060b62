/// Keras's activity regularization (`activity_regularizer`) of a model's layers: `penalty(output) / batch size`
/// per regularized layer joins the loss (keras/src/layers/layer.py `__call__`). The forward pass sums this rank's
/// penalties and keeps each regularized output; backward adds `scale * penalty'(output)` into that layer's output
/// gradient, with `scale = 1 / global batch size`, so the sum over ranks is the one-process gradient.
final class ActivityPenalties {
    /// This rank's sum of the penalties in the last forward pass (before dividing by the batch size).
    private(set) var sum = 0.0
    /// The regularized layers' outputs of the last training forward pass, by layer index (copies: the next layer
    /// may write over an output).
    private var outputs: [Int: Tensor] = [:]

    func reset() { sum = 0 }

    /// After layer `index`'s forward pass: its penalty, and in training its output for backward.
    func record(_ layer: Layer, index: Int, output: Tensor, training: Bool) {
        guard let r = (layer as? ActivityRegularized)?.activityRegularizer else { return }
        sum += r.penalty(output)
        guard training else { return }
        if outputs[index]?.shape != output.shape { outputs[index] = Tensor(zeros: output.shape) }
        Kernels.copy(output, into: outputs[index]!)
    }

    /// Before layer `index`'s backward pass: `dy += scale * penalty'(output)`.
    func addGradient(_ layer: Layer, index: Int, scale: Float, into dy: Tensor) {
        guard let r = (layer as? ActivityRegularized)?.activityRegularizer, let y = outputs[index] else { return }
        r.addGradient(of: y, scale: scale, into: dy)
    }
}
