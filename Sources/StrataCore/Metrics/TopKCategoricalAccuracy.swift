/// Keras `TopKCategoricalAccuracy(k=5)` (`top_k_categorical_accuracy`): 1 when the true class (`argmax(yTrue)`) is
/// among the `k` highest scores of `yPred` (ties at the boundary count, as TensorFlow's `in_top_k`)
/// (keras/src/metrics/accuracy_metrics.py).
public final class TopKCategoricalAccuracy: Metric {
    public let name: String
    public let k: Int
    public init(k: Int = 5, name: String = "top_k_categorical_accuracy") { self.k = k; self.name = name }
    public func values(yTrue: Tensor, yPred: Tensor, into values: Tensor) {
        MetricKernels.inTopK(yTrue: yTrue, yPred: yPred, k: k, sparse: false, into: values)
    }
}

/// Keras `SparseTopKCategoricalAccuracy(k=5)` (`sparse_top_k_categorical_accuracy`): as
/// `TopKCategoricalAccuracy` with `yTrue` holding class ids.
public final class SparseTopKCategoricalAccuracy: Metric {
    public let name: String
    public let k: Int
    public init(k: Int = 5, name: String = "sparse_top_k_categorical_accuracy") { self.k = k; self.name = name }
    public func values(yTrue: Tensor, yPred: Tensor, into values: Tensor) {
        MetricKernels.inTopK(yTrue: yTrue, yPred: yPred, k: k, sparse: true, into: values)
    }
}
