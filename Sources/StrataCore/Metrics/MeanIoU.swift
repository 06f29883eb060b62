/// Keras `MeanIoU(num_classes, ignore_class=None, sparse_y_true=True, sparse_y_pred=True)`
/// (keras/src/metrics/iou_metrics.py): an epoch's confusion matrix over class ids (or argmax with
/// `sparse_y_* = False`), per class `iou = tp / (tp + fp + fn + eps)`, averaged over the classes that occur. Keras
/// keeps the matrix in integers (its default dtype), so it truncates class ids and sample weights to integers;
/// Strata does the same.
public final class MeanIoU: CountingMetric {
    public let name: String
    public let numClasses: Int
    public let ignoreClass: Int?
    public let sparseYTrue: Bool
    public let sparseYPred: Bool

    public init(
        numClasses: Int, ignoreClass: Int? = nil, sparseYTrue: Bool = true, sparseYPred: Bool = true,
        name: String = "mean_io_u"
    ) {
        self.numClasses = numClasses
        self.ignoreClass = ignoreClass
        self.sparseYTrue = sparseYTrue
        self.sparseYPred = sparseYPred
        self.name = name
    }

    public func stateCount(outputShape: [Int]) -> Int { numClasses * numClasses }

    public func accumulate(yTrue: Tensor, yPred: Tensor, sampleWeight: Tensor?, into state: Tensor) {
        MetricKernels.confusionMatrix(
            yTrue: yTrue, yPred: yPred, weights: sampleWeight, classes: numClasses,
            sparseTrue: sparseYTrue, sparsePred: sparseYPred, ignoreClass: ignoreClass, into: state)
    }

    public func result(_ s: ArraySlice<Double>) -> Double {
        let c = numClasses, b = s.startIndex, eps = Double(Losses.epsilon)
        var sum = 0.0, valid = 0.0
        for k in 0..<c {
            var row = 0.0, column = 0.0
            for j in 0..<c { row += s[b + k * c + j]; column += s[b + j * c + k] }
            let tp = s[b + k * c + k]
            let denominator = row + column - tp
            guard denominator > 1e-9 else { continue }
            valid += 1
            sum += tp / (denominator + eps)
        }
        return sum / (valid + eps)
    }
}
