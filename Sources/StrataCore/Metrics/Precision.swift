/// Keras `Precision(thresholds=None, top_k=None, class_id=None)`: `tp / (tp + fp)` over the epoch (0 when nothing
/// was predicted positive) (keras/src/metrics/confusion_metrics.py).
public final class Precision: ThresholdCountingMetric, CountingMetric {
    public override init(thresholds: Float? = nil, topK: Int? = nil, classId: Int? = nil, name: String = "precision") {
        super.init(thresholds: thresholds, topK: topK, classId: classId, name: name)
    }
    public func result(_ s: ArraySlice<Double>) -> Double { divideNoNaN(s[s.startIndex], s[s.startIndex] + s[s.startIndex + 1]) }
}

/// Keras `Recall(thresholds=None, top_k=None, class_id=None)`: `tp / (tp + fn)` over the epoch (0 without
/// positives) (keras/src/metrics/confusion_metrics.py).
public final class Recall: ThresholdCountingMetric, CountingMetric {
    public override init(thresholds: Float? = nil, topK: Int? = nil, classId: Int? = nil, name: String = "recall") {
        super.init(thresholds: thresholds, topK: topK, classId: classId, name: name)
    }
    public func result(_ s: ArraySlice<Double>) -> Double { divideNoNaN(s[s.startIndex], s[s.startIndex] + s[s.startIndex + 2]) }
}

/// What Precision and Recall share: counts `[tp, fp, fn]` at one threshold. An element is predicted positive when
/// its score exceeds `thresholds` (0.5, or -inf with `topK`: then its row's `topK` largest scores are), only column
/// `classId` counts when given, and a label is positive when nonzero. Keras's list of thresholds (a list of
/// figures) is not supported: one threshold per metric.
public class ThresholdCountingMetric {
    public let name: String
    public let thresholds: Float
    public let topK: Int?
    public let classId: Int?
    init(thresholds: Float?, topK: Int?, classId: Int?, name: String) {
        self.thresholds = thresholds ?? (topK == nil ? 0.5 : -Float.infinity)
        self.topK = topK
        self.classId = classId
        self.name = name
    }
    public func stateCount(outputShape: [Int]) -> Int { 3 }
    public func accumulate(yTrue: Tensor, yPred: Tensor, sampleWeight: Tensor?, into state: Tensor) {
        MetricKernels.thresholdCounts(
            yTrue: yTrue, yPred: yPred, weights: sampleWeight, threshold: thresholds,
            topK: topK, classId: classId, into: state)
    }
}
