/// The per-sample loops of the built-in metrics: one value per row of `yPred` (seen as `(rows, last axis)`)
/// written into `values`.
enum MetricKernels {
    /// `values[r] = mean_j ((yPred[r, j] > threshold ? 1 : 0) == yTrue[r, j])`.
    static func binaryAccuracy(yTrue: Tensor, yPred: Tensor, threshold: Float, into values: Tensor) {
        let cols = yPred.shape.last ?? 1
        let rows = cols == 0 ? 0 : yPred.count / cols
        let pp = yPred.pointer, py = yTrue.pointer, pv = values.pointer
        for r in 0..<rows {
            var hits = 0
            for j in 0..<cols {
                let i = r &* cols &+ j
                if (pp[i] > threshold ? Float(1) : 0) == py[i] { hits += 1 }
            }
            pv[r] = Float(hits) / Float(cols)
        }
    }

    /// `values[r] = argmax(yTrue[r]) == argmax(yPred[r]) ? 1 : 0` (first maximum wins).
    static func categoricalAccuracy(yTrue: Tensor, yPred: Tensor, into values: Tensor) {
        let cols = yPred.shape.last ?? 1
        let rows = cols == 0 ? 0 : yPred.count / cols
        let pp = yPred.pointer, py = yTrue.pointer, pv = values.pointer
        for r in 0..<rows {
            pv[r] = argmax(pp + r &* cols, cols) == argmax(py + r &* cols, cols) ? 1 : 0
        }
    }

    /// `values[r] = yTrue[r] == argmax(yPred[r]) ? 1 : 0`, `yTrue` holding class ids.
    static func sparseCategoricalAccuracy(yTrue: Tensor, yPred: Tensor, into values: Tensor) {
        let cols = yPred.shape.last ?? 1
        let rows = cols == 0 ? 0 : yPred.count / cols
        let pp = yPred.pointer, py = yTrue.pointer, pv = values.pointer
        for r in 0..<rows { pv[r] = Float(argmax(pp + r &* cols, cols)) == py[r] ? 1 : 0 }
    }

    /// `values[r] = mean_j f(yPred[r, j] - yTrue[r, j])` (mse, mae).
    @inline(__always)
    static func rowMeans(_ yTrue: Tensor, _ yPred: Tensor, _ values: Tensor, _ f: (Float) -> Float) {
        let cols = yPred.shape.last ?? 1
        let rows = cols == 0 ? 0 : yPred.count / cols
        let pp = yPred.pointer, py = yTrue.pointer, pv = values.pointer
        for r in 0..<rows {
            var s: Float = 0
            for j in 0..<cols { let i = r &* cols &+ j; s += f(pp[i] - py[i]) }
            pv[r] = s / Float(cols)
        }
    }

    @inline(__always)
    private static func argmax(_ p: UnsafeMutablePointer<Float>, _ n: Int) -> Int {
        var best = 0
        for j in 1..<max(n, 1) where p[j] > p[best] { best = j }
        return best
    }
}
