/// Keras `mse` metric: `mean((yPred - yTrue)^2)` over the last axis, averaged over samples.
public final class MeanSquaredErrorMetric: Metric {
    public let name: String
    public init(name: String = "mse") { self.name = name }
    public func values(yTrue: Tensor, yPred: Tensor, into values: Tensor) {
        MetricKernels.rowMeans(yTrue, yPred, values) { d in d * d }
    }
}

/// Keras `mae` metric: `mean(|yPred - yTrue|)` over the last axis, averaged over samples.
public final class MeanAbsoluteErrorMetric: Metric {
    public let name: String
    public init(name: String = "mae") { self.name = name }
    public func values(yTrue: Tensor, yPred: Tensor, into values: Tensor) {
        MetricKernels.rowMeans(yTrue, yPred, values) { d in abs(d) }
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
