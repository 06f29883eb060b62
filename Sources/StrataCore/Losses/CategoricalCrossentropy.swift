/// Keras `categorical_crossentropy`: `-sum(y * log(p))` over the last axis.
///
/// From probabilities: `p = clip(p / sum(p), eps, 1 - eps)` (eps = 1e-7). After a softmax (TensorFlow backend)
/// it is computed from the logits `z` without clipping: `sum(y) * logsumexp(z) - sum(y * z)`, gradient
/// `softmax(z) * sum(y) - y`. Targets need not be one-hot.
/// Keras 3 arguments: `fromLogits` (the model's output is `z`: the logits form above, gradient with respect to `z`)
/// and `labelSmoothing` (`y (1 - s) + s / K`, K classes) (keras/src/losses/losses.py `CategoricalCrossentropy`).
public final class CategoricalCrossentropy: Loss, ConfigurableLoss {
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
        let py = yTrue.pointer, pv = values.pointer, pg = gradient.pointer
        if let (z, act) = logits, act == .softmax {
            let pz = z.pointer, pp = yPred.pointer
            for r in 0..<rows {
                let zr = pz + r &* cols, yr = py + r &* cols, gr = pg + r &* cols, pr = pp + r &* cols
                var m = -Float.infinity
                for j in 0..<cols { m = max(m, zr[j]) }
                var s: Double = 0
                for j in 0..<cols { s += Double(Kernels.exp(zr[j] - m)) }
                let lse = Double(m) + _math_log(s)
                var ysum: Double = 0, yz: Double = 0
                for j in 0..<cols { ysum += Double(yr[j]); yz += Double(yr[j]) * Double(zr[j]) }
                pv[r] = Float(ysum * lse - yz)
                let ys = Float(ysum)
                for j in 0..<cols { gr[j] = scale * (pr[j] * ys - yr[j]) }
            }
            return true
        }
        let pp = yPred.pointer
        let eps = Losses.epsilon
        for r in 0..<rows {
            let pr = pp + r &* cols, yr = py + r &* cols, gr = pg + r &* cols
            var s: Float = 0
            for j in 0..<cols { s += pr[j] }
            var loss: Double = 0
            var dot: Float = 0   // sum_i g_i q_i
            for j in 0..<cols {
                let q = pr[j] / s
                let qc = min(max(q, eps), 1 - eps)
                loss -= Double(yr[j]) * _math_log(Double(qc))
                let g: Float = (q >= eps && q <= 1 - eps) ? -yr[j] / qc : 0
                gr[j] = g
                dot += g * q
            }
            pv[r] = Float(loss)
            for j in 0..<cols { gr[j] = scale * (gr[j] - dot) / s }
        }
        return false
    }
}
