/// Keras `mse` metric: `mean((yPred - yTrue)^2)` over the last axis, averaged over samples.
public final class MeanSquaredErrorMetric: Metric {
    public let name: String
    public init(name: String = "mse") { self.name = name }
    public func values(yTrue: Tensor, yPred: Tensor, into values: Tensor) {
        rowMeans(yTrue, yPred, values) { d in d * d }
    }
}

/// Keras `mae` metric: `mean(|yPred - yTrue|)` over the last axis, averaged over samples.
public final class MeanAbsoluteErrorMetric: Metric {
    public let name: String
    public init(name: String = "mae") { self.name = name }
    public func values(yTrue: Tensor, yPred: Tensor, into values: Tensor) {
        rowMeans(yTrue, yPred, values) { d in abs(d) }
    }
}

@inline(__always)
private func rowMeans(_ yTrue: Tensor, _ yPred: Tensor, _ values: Tensor, _ f: (Float) -> Float) {
    let cols = yPred.shape.last ?? 1
    let rows = cols == 0 ? 0 : yPred.count / cols
    let pp = yPred.pointer, py = yTrue.pointer, pv = values.pointer
    for r in 0..<rows {
        var s: Float = 0
        for j in 0..<cols { let i = r &* cols &+ j; s += f(pp[i] - py[i]) }
        pv[r] = s / Float(cols)
    }
}

/// A user's metric closure returning one value per sample.
public final class CustomMetric: Metric {
    public let name: String
    let fn: (Tensor, Tensor) throws -> Tensor
    public init(name: String, _ fn: @escaping (Tensor, Tensor) throws -> Tensor) { self.name = name; self.fn = fn }
    public func values(yTrue: Tensor, yPred: Tensor, into values: Tensor) throws {
        let out = try fn(yTrue, yPred)
        guard out.count == values.count else {
            throw StrataError.invalidArgument(
                "custom metric '\(name)' returned \(out.count) values (shape \(out.shape)) for \(values.count) samples",
                hint: "return one value per sample, e.g. yPred.mean(axis: -1)")
        }
        Kernels.copy(out, into: values)
    }
}
