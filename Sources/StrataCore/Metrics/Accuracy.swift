/// Keras `binary_accuracy`: per sample, the mean over the last axis of `(yPred > 0.5) == yTrue`.
public final class BinaryAccuracy: Metric {
    public let name: String
    public let threshold: Float
    public init(name: String = "binary_accuracy", threshold: Float = 0.5) { self.name = name; self.threshold = threshold }
    public func values(yTrue: Tensor, yPred: Tensor, into values: Tensor) {
        MetricKernels.binaryAccuracy(yTrue: yTrue, yPred: yPred, threshold: threshold, into: values)
    }
}

/// Keras `categorical_accuracy`: `argmax(yTrue) == argmax(yPred)` per sample (first maximum wins, as argmax).
public final class CategoricalAccuracy: Metric {
    public let name: String
    public init(name: String = "categorical_accuracy") { self.name = name }
    public func values(yTrue: Tensor, yPred: Tensor, into values: Tensor) {
        MetricKernels.categoricalAccuracy(yTrue: yTrue, yPred: yPred, into: values)
    }
}

/// Keras `sparse_categorical_accuracy`: `yTrue == argmax(yPred)` per sample, `yTrue` holding class ids.
public final class SparseCategoricalAccuracy: Metric {
    public let name: String
    public init(name: String = "sparse_categorical_accuracy") { self.name = name }
    public func values(yTrue: Tensor, yPred: Tensor, into values: Tensor) {
        MetricKernels.sparseCategoricalAccuracy(yTrue: yTrue, yPred: yPred, into: values)
    }
}
