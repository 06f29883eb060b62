/// Keras `mean_absolute_error` (`mae`): `mean(|yPred - yTrue|)` over the last axis; gradient `sign(p - y) / d`.
public final class MeanAbsoluteError: Loss {
    public let name = "mean_absolute_error"
    public let sparseTargets = false
    public init() {}

    public func compute(yTrue: Tensor, yPred: Tensor, logits: (Tensor, ActivationFunction)?, scale: Float,
                        values: Tensor, gradient: Tensor) -> Bool {
        let cols = yPred.shape.last ?? 1
        let rows = cols == 0 ? 0 : yPred.count / cols
        let py = yTrue.pointer, pv = values.pointer, pg = gradient.pointer, pp = yPred.pointer
        let inv = 1 / Float(cols)
        for r in 0..<rows {
            var s: Float = 0
            for j in 0..<cols {
                let i = r &* cols &+ j
                let d = pp[i] - py[i]
                s += abs(d)
                pg[i] = d > 0 ? scale * inv : (d < 0 ? -scale * inv : 0)
            }
            pv[r] = s * inv
        }
        return false
    }
}
