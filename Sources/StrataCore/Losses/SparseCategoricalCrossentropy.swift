/// Keras `sparse_categorical_crossentropy`: targets are integer class ids (shape `(N,)` or `(N, 1)`, stored as
/// Float), loss `-log(p[label])` with `p` normalised and clipped to `[eps, 1 - eps]`, or from the logits after a
/// softmax (TensorFlow backend): `logsumexp(z) - z[label]`, gradient `softmax(z) - onehot(label)`.
/// Keras 3 argument: `fromLogits` (the model's output is `z`: the logits form above, gradient with respect to `z`);
/// Keras's `ignore_class` is not supported (keras/src/losses/losses.py `SparseCategoricalCrossentropy`).
public final class SparseCategoricalCrossentropy: Loss, ConfigurableLoss {
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

    public func compute(yTrue: Tensor, yPred: Tensor, logits: (Tensor, ActivationFunction)?, scale: Float,
                        values: Tensor, gradient: Tensor) -> Bool {
        options.compute(yTrue: yTrue, yPred: yPred, logits: logits) { y, p, l in
            crossentropy(yTrue: y, yPred: p, logits: l, scale: scale, values: values, gradient: gradient)
        }
    }

    private func crossentropy(yTrue: Tensor, yPred: Tensor, logits: (Tensor, ActivationFunction)?, scale: Float,
                              values: Tensor, gradient: Tensor) -> Bool {
        let cols = yPred.shape.last ?? 1
        let rows = cols == 0 ? 0 : yPred.count / cols
        let py = yTrue.pointer, pv = values.pointer, pg = gradient.pointer, pp = yPred.pointer
        if let (z, act) = logits, act == .softmax {
            let pz = z.pointer
            for r in 0..<rows {
                let zr = pz + r &* cols, gr = pg + r &* cols, pr = pp + r &* cols
                let label = Int(py[r])
                var m = -Float.infinity
                for j in 0..<cols { m = max(m, zr[j]) }
                var s: Double = 0
                for j in 0..<cols { s += Double(Kernels.exp(zr[j] - m)) }
                pv[r] = Float(Double(m) + _math_log(s) - Double(zr[label]))
                for j in 0..<cols { gr[j] = scale * pr[j] }
                gr[label] -= scale
            }
            return true
        }
        let eps = Losses.epsilon
        for r in 0..<rows {
            let pr = pp + r &* cols, gr = pg + r &* cols
            let label = Int(py[r])
            var s: Float = 0
            for j in 0..<cols { s += pr[j] }
            let q = pr[label] / s
            let qc = min(max(q, eps), 1 - eps)
            pv[r] = Float(-_math_log(Double(qc)))
            let g: Float = (q >= eps && q <= 1 - eps) ? -1 / qc : 0
            // d/dp_j of -log(p_label / s) through the normalisation: (g (delta_j,label - q)) / s
            for j in 0..<cols { gr[j] = scale * (-g * q) / s }
            gr[label] += scale * g / s
        }
        return false
    }
}
