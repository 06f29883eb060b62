/// Keras `AUC(num_thresholds=200, curve="ROC", summation_method="interpolation", multi_label=False,
/// from_logits=False)` (keras/src/metrics/confusion_metrics.py): confusion counts at the evenly spaced thresholds
/// `[-eps, 1/(T-1), ..., (T-2)/(T-1), 1 + eps]`, kept as histograms over Keras's buckets `ceil(p (T-1)) - 1`, summed
/// over the epoch and the ranks. The area is a Riemann sum over the thresholds: ROC as `(fpr_i - fpr_i+1) * height`
/// of the recall, PR with `interpolation` by Davis & Goadrich's interpolation of precision between thresholds
/// (Keras's `interpolate_pr_auc`), `minoring` / `majoring` by the smaller / larger neighbour. `multi_label` averages
/// the per-column areas.
public final class AUC: CountingMetric {
    public enum Curve: String {
        case roc = "ROC"
        case pr = "PR"
    }
    public enum SummationMethod: String { case interpolation, minoring, majoring }
    public let name: String
    public let numThresholds: Int
    public let curve: Curve
    public let summationMethod: SummationMethod
    public let multiLabel: Bool
    public let fromLogits: Bool
    /// Labels per histogram: the output's last axis with `multiLabel` (set when the metric is resolved), else 1.
    private var labels = 1

    public init(
        numThresholds: Int = 200, curve: Curve = .roc, summationMethod: SummationMethod = .interpolation,
        multiLabel: Bool = false, fromLogits: Bool = false, name: String = "auc"
    ) {
        precondition(numThresholds > 1, "AUC needs num_thresholds > 1 (Metrics.make checks user input)")
        self.numThresholds = numThresholds
        self.curve = curve
        self.summationMethod = summationMethod
        self.multiLabel = multiLabel
        self.fromLogits = fromLogits
        self.name = name
    }

    public func stateCount(outputShape: [Int]) -> Int {
        labels = multiLabel ? (outputShape.last ?? 1) : 1
        return 2 * numThresholds * labels
    }

    public func accumulate(yTrue: Tensor, yPred: Tensor, sampleWeight: Tensor?, into state: Tensor) {
        MetricKernels.aucHistogram(
            yTrue: yTrue, yPred: yPred, weights: sampleWeight, thresholds: numThresholds,
            fromLogits: fromLogits, multiLabel: multiLabel, into: state)
    }

    public func result(_ state: ArraySlice<Double>) -> Double {
        let t = numThresholds, base = state.startIndex
        var total = 0.0
        for label in 0..<labels {
            // Counts at threshold i: the histogram summed from bucket i up.
            var tp = [Double](repeating: 0, count: t), fp = tp
            var upTrue = 0.0, upFalse = 0.0
            for i in stride(from: t - 1, through: 0, by: -1) {
                upTrue += state[base + i * labels + label]
                upFalse += state[base + t * labels + i * labels + label]
                tp[i] = upTrue
                fp[i] = upFalse
            }
            let fn = tp.map { upTrue - $0 }, tn = fp.map { upFalse - $0 }
            total += area(tp: tp, fp: fp, tn: tn, fn: fn)
        }
        return total / Double(labels)
    }

    private func area(tp: [Double], fp: [Double], tn: [Double], fn: [Double]) -> Double {
        let t = numThresholds
        if curve == .pr && summationMethod == .interpolation {
            var sum = 0.0
            for i in 0..<(t - 1) {
                let dtp = tp[i] - tp[i + 1]
                let p0 = tp[i] + fp[i], p1 = tp[i + 1] + fp[i + 1]
                let slope = divideNoNaN(dtp, max(p0 - p1, 0))
                let intercept = tp[i + 1] - slope * p1
                let ratio = p0 > 0 && p1 > 0 ? divideNoNaN(p0, max(p1, 0)) : 1
                sum += divideNoNaN(slope * (dtp + intercept * libmLog(ratio)), max(tp[i + 1] + fn[i + 1], 0))
            }
            return sum
        }
        let recall = (0..<t).map { divideNoNaN(tp[$0], tp[$0] + fn[$0]) }
        let (x, y): ([Double], [Double]) =
            curve == .roc
            ? ((0..<t).map { divideNoNaN(fp[$0], fp[$0] + tn[$0]) }, recall)
            : (recall, (0..<t).map { divideNoNaN(tp[$0], tp[$0] + fp[$0]) })
        var sum = 0.0
        for i in 0..<(t - 1) {
            let height: Double
            switch summationMethod {
            case .interpolation: height = (y[i] + y[i + 1]) / 2
            case .minoring: height = min(y[i], y[i + 1])
            case .majoring: height = max(y[i], y[i + 1])
            }
            sum += (x[i] - x[i + 1]) * height
        }
        return sum
    }
}
