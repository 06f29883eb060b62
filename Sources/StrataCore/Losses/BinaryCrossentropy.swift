/// Keras `binary_crossentropy`: `-[y log p + (1 - y) log(1 - p)]` with `p` clipped to `[eps, 1 - eps]`, averaged
/// over the last axis. After a sigmoid (TensorFlow backend) from the logits without clipping:
/// `max(z, 0) - z y + log(1 + e^-|z|)`, gradient `(sigmoid(z) - y) / d`.
public final class BinaryCrossentropy: LogitsLoss {
    public let name = "binary_crossentropy"
    public let sparseTargets = false
    public init() {}

    public func consumesLogits(of activation: ActivationFunction) -> Bool { activation == .sigmoid }

    public func compute(yTrue: Tensor, yPred: Tensor, scale: Float, values: Tensor, gradient: Tensor) {
        let cols = yPred.shape.last ?? 1
        let rows = cols == 0 ? 0 : yPred.count / cols
        let py = yTrue.pointer, pv = values.pointer, pg = gradient.pointer, pp = yPred.pointer
        let inv = 1 / Float(cols)
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
    }

    public func compute(yTrue: Tensor, logits z: Tensor, yPred: Tensor, scale: Float, values: Tensor, gradient: Tensor) {
        let cols = yPred.shape.last ?? 1
        let rows = cols == 0 ? 0 : yPred.count / cols
        let py = yTrue.pointer, pv = values.pointer, pg = gradient.pointer, pp = yPred.pointer
        let inv = 1 / Float(cols)
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
    }
}
