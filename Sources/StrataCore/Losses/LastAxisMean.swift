/// The per-sample mean of an elementwise term of `d = yPred - yTrue` over the last axis, shared by
/// `MeanSquaredError` and `MeanAbsoluteError`: `values[r] = (1/D) sum_j f(d[r, j])` and
/// `gradient[r, j] = scale f'(d[r, j]) / D`, D the last axis's size, in one pass.
enum LastAxisMean {
    /// `term(d, step)` returns `f(d)` and the gradient entry, `step = scale / D` times `f'(d)`. Inlined so each loss
    /// gets its own loop with the term in it (no call per element).
    @inline(__always)
    static func compute(yTrue: Tensor, yPred: Tensor, scale: Float, values: Tensor, gradient: Tensor,
                        term: (_ d: Float, _ step: Float) -> (value: Float, gradient: Float)) {
        let cols = yPred.shape.last ?? 1
        let rows = cols == 0 ? 0 : yPred.count / cols
        let py = yTrue.pointer, pv = values.pointer, pg = gradient.pointer, pp = yPred.pointer
        let inv = 1 / Float(cols)
        let step = scale * inv
        for r in 0..<rows {
            var s: Float = 0
            for j in 0..<cols {
                let i = r &* cols &+ j
                let (value, g) = term(pp[i] - py[i], step)
                s += value
                pg[i] = g
            }
            pv[r] = s * inv
        }
    }
}
