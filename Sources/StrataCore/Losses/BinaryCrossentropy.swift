/// Keras `binary_crossentropy`: `-[y log p + (1 - y) log(1 - p)]` with `p` clipped to `[eps, 1 - eps]`, averaged
/// over the last axis. After a sigmoid (TensorFlow backend) from the logits without clipping:
/// `max(z, 0) - z y + log(1 + e^-|z|)`, gradient `(sigmoid(z) - y) / d`.
/// Keras 3 arguments: `fromLogits` (the model's output is `z`: the logits form above, gradient with respect to `z`)
/// and `labelSmoothing` (`y (1 - s) + s / 2`) (keras/src/losses/losses.py `BinaryCrossentropy`).
public final class BinaryCrossentropy: Loss, ConfigurableLoss {
    public let name = "binary_crossentropy"
    public let sparseTargets = false
    public var fromLogits: Bool { options.fromLogits }
    public var labelSmoothing: Float { options.labelSmoothing }
    private let options: CrossentropyOptions
    public init(fromLogits: Bool = false, labelSmoothing: Float = 0) {
        options = CrossentropyOptions(fromLogits: fromLogits, labelSmoothing: labelSmoothing, activation: .sigmoid, binary: true)
    }

    public var kerasClassName: String { "BinaryCrossentropy" }
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
        let inv = 1 / Float(cols)
        if let (z, act) = logits, act == .sigmoid {
            let pz = z.pointer
            for r in 0..<rows {
                var loss: Double = 0
                for j in 0..<cols {
                    let i = r &* cols &+ j
                    let zi = pz[i], yi = py[i]
                    loss += Double(max(zi, 0) - zi * yi) + _math_log1p(Double(Kernels.exp(-abs(zi))))
                    pg[i] = scale * inv * (pp[i] - yi)
                }
                pv[r] = Float(loss) * inv
            }
            return true
        }
        let eps = Losses.epsilon
        for r in 0..<rows {
            var loss: Double = 0
            for j in 0..<cols {
                let i = r &* cols &+ j
                let p = pp[i], y = py[i]
                let pc = min(max(p, eps), 1 - eps)
                loss -= Double(y) * _math_log(Double(pc)) + Double(1 - y) * _math_log(Double(1 - pc))
                pg[i] = (p >= eps && p <= 1 - eps) ? scale * inv * (-y / pc + (1 - y) / (1 - pc)) : 0
            }
            pv[r] = Float(loss) * inv
        }
        return false
    }
}
