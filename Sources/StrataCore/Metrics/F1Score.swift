/// Keras `F1Score(average=None, threshold=None)` (FBetaScore with beta 1, keras/src/metrics/f_score_metrics.py):
/// per class `2 p r / (p + r + eps)` with `p = tp / (tp + fp + eps)`, `r = tp / (tp + fn + eps)` over the epoch's
/// counts; `micro` sums the counts over the classes first, `macro` averages the classes, `weighted` weighs them by
/// their (weighted) support. A prediction is positive when its score exceeds `threshold`, or without one when it
/// is its row's largest. Keras's `average=None` gives one figure per class, which a History entry cannot hold:
/// Strata asks for an average.
public final class F1Score: CountingMetric {
    public enum Average: String { case micro, macro, weighted }
    public let name: String
    public let average: Average
    public let threshold: Float?
    private var classes = 1

    public init(average: Average, threshold: Float? = nil, name: String = "f1_score") {
        self.average = average
        self.threshold = threshold
        self.name = name
    }

    public func stateCount(outputShape: [Int]) -> Int {
        classes = outputShape.last ?? 1
        return 4 * classes
    }

    public func accumulate(yTrue: Tensor, yPred: Tensor, sampleWeight: Tensor?, into state: Tensor) {
        MetricKernels.classCounts(yTrue: yTrue, yPred: yPred, weights: sampleWeight, threshold: threshold, into: state)
    }

    public func result(_ s: ArraySlice<Double>) -> Double {
        let c = classes, b = s.startIndex, eps = Double(Losses.epsilon)
        func f1(_ tp: Double, _ fp: Double, _ fn: Double) -> Double {
            let p = tp / (tp + fp + eps), r = tp / (tp + fn + eps)
            return 2 * (p * r / (p + r + eps))
        }
        switch average {
        case .micro:
            let sums = (0..<3).map { k in (0..<c).reduce(0.0) { $0 + s[b + k * c + $1] } }
            return f1(sums[0], sums[1], sums[2])
        case .macro:
            return (0..<c).reduce(0.0) { $0 + f1(s[b + $1], s[b + c + $1], s[b + 2 * c + $1]) } / Double(c)
        case .weighted:
            let support = (0..<c).reduce(0.0) { $0 + s[b + 3 * c + $1] }
            return (0..<c).reduce(0.0) { $0 + f1(s[b + $1], s[b + c + $1], s[b + 2 * c + $1]) * s[b + 3 * c + $1] / (support + eps) }
        }
    }
}
