/// Keras `binary_accuracy`: per sample, the mean over the last axis of `(yPred > 0.5) == yTrue`.
public final class BinaryAccuracy: Metric {
    public let name: String
    public let threshold: Float
    public init(name: String = "binary_accuracy", threshold: Float = 0.5) { self.name = name; self.threshold = threshold }
    public func values(yTrue: Tensor, yPred: Tensor, into values: Tensor) {
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
}

/// Keras `categorical_accuracy`: `argmax(yTrue) == argmax(yPred)` per sample (first maximum wins, as argmax).
public final class CategoricalAccuracy: Metric {
    public let name: String
    public init(name: String = "categorical_accuracy") { self.name = name }
    public func values(yTrue: Tensor, yPred: Tensor, into values: Tensor) {
        let cols = yPred.shape.last ?? 1
        let rows = cols == 0 ? 0 : yPred.count / cols
        let pp = yPred.pointer, py = yTrue.pointer, pv = values.pointer
        for r in 0..<rows {
            pv[r] = argmax(pp + r &* cols, cols) == argmax(py + r &* cols, cols) ? 1 : 0
        }
    }
}

/// Keras `sparse_categorical_accuracy`: `yTrue == argmax(yPred)` per sample, `yTrue` holding class ids.
public final class SparseCategoricalAccuracy: Metric {
    public let name: String
    public init(name: String = "sparse_categorical_accuracy") { self.name = name }
    public func values(yTrue: Tensor, yPred: Tensor, into values: Tensor) {
        let cols = yPred.shape.last ?? 1
        let rows = cols == 0 ? 0 : yPred.count / cols
        let pp = yPred.pointer, py = yTrue.pointer, pv = values.pointer
        for r in 0..<rows { pv[r] = Float(argmax(pp + r &* cols, cols)) == py[r] ? 1 : 0 }
    }
}

@inline(__always)
func argmax(_ p: UnsafeMutablePointer<Float>, _ n: Int) -> Int {
    var best = 0
    for j in 1..<max(n, 1) where p[j] > p[best] { best = j }
    return best
}
