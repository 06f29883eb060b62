/// A metric reported per epoch: per-sample values whose sums (and counts) can be added exactly across batches
/// and ranks; the epoch figure is `sum / count`, the sample-weighted mean Keras reports.
public protocol Metric: AnyObject {
    /// The name in logs and History (as passed: `"accuracy"` or `"acc"`).
    var name: String { get }
    /// Writes one value per sample (`yPred.count / lastDim` values) into `values`; throws when a user's metric
    /// returns the wrong number of values.
    func values(yTrue: Tensor, yPred: Tensor, into values: Tensor) throws
}

/// How a user names a metric in `compile`: a Keras string id, or a custom closure.
public struct MetricSpec: ExpressibleByStringLiteral, @unchecked Sendable {
    /// A Keras id (`"accuracy"`, `"mae"`, ...) or a named closure giving one value per sample.
    public enum Kind { case named(String), custom(String, (Tensor, Tensor) throws -> Tensor) }
    public let kind: Kind
    public init(stringLiteral value: String) { kind = .named(value) }
    public init(_ name: String) { kind = .named(name) }

    /// A custom metric: `fn(yTrue, yPred)` returns one value per sample (shape `(N,)`), like Keras's
    /// metric functions reduced over their last axis (e.g. the guide's `mean_pred`).
    public static func custom(_ name: String, _ fn: @escaping (_ yTrue: Tensor, _ yPred: Tensor) throws -> Tensor) -> MetricSpec {
        MetricSpec(kind: .custom(name, fn))
    }
    init(kind: Kind) { self.kind = kind }

    public var name: String {
        switch kind { case let .named(n): return n; case let .custom(n, _): return n }
    }

    /// Resolves the spec for a model whose output has `outputShape` (without batch) and targets `targetShape`,
    /// with `"accuracy"` chosen by shape exactly as Keras 3 does (compile_utils.py).
    public func resolve(outputShape: [Int], targetShape: [Int], loss: Loss) throws -> Metric {
        switch kind {
        case let .custom(n, fn): return CustomMetric(name: n, fn)
        case let .named(n):
            switch n.lowercased() {
            case "accuracy", "acc":
                let isBinary = outputShape.last == 1
                let isSparse = loss.sparseTargets || targetShape.count < outputShape.count
                    || (targetShape.last == 1 && (outputShape.last ?? 1) > 1)
                if isBinary { return BinaryAccuracy(name: n) }
                if isSparse { return SparseCategoricalAccuracy(name: n) }
                return CategoricalAccuracy(name: n)
            case "binary_accuracy": return BinaryAccuracy(name: n)
            case "categorical_accuracy": return CategoricalAccuracy(name: n)
            case "sparse_categorical_accuracy": return SparseCategoricalAccuracy(name: n)
            case "mse", "mean_squared_error": return MeanSquaredErrorMetric(name: n)
            case "mae", "mean_absolute_error": return MeanAbsoluteErrorMetric(name: n)
            default:
                throw StrataError.invalidArgument("unknown metric '\(n)'",
                    hint: "use accuracy (acc), binary_accuracy, categorical_accuracy, sparse_categorical_accuracy, mse, mae, or MetricSpec.custom(name) { yTrue, yPred in ... }")
            }
        }
    }
}
