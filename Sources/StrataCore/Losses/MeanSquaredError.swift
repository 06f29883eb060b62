/// Keras `mean_squared_error` (`mse`): `mean((yPred - yTrue)^2)` over the last axis; gradient `2 (p - y) / d`.
public final class MeanSquaredError: Loss {
    public let name = "mean_squared_error"
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
                s += d * d
                pg[i] = scale * 2 * inv * d
            }
            pv[r] = s * inv
        }
        return false
    }
}
