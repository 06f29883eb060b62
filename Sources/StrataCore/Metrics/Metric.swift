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
    /// A Keras id (`"accuracy"`, `"mae"`, ...), a named closure giving one value per sample, a configured id, or a metric object.
    public enum Kind {
        case named(String)
        case custom(String, (Tensor, Tensor) throws -> Tensor)
        /// A Keras id or class name with Keras-named arguments (`AUC`, `["curve": "PR"]`).
        case configured(String, [String: JSONValue])
        /// A metric object (`Precision(thresholds: 0.3)`, `AUC(curve: .pr)`).
        case instance(Metric)
    }
    public let kind: Kind
    public init(stringLiteral value: String) { kind = .named(value) }
    public init(_ name: String) { kind = .named(name) }

    /// A custom metric: `fn(yTrue, yPred)` returns one value per sample (shape `(N,)`), like Keras's
    /// metric functions reduced over their last axis (e.g. the guide's `mean_pred`).
    public static func custom(_ name: String, _ fn: @escaping (_ yTrue: Tensor, _ yPred: Tensor) throws -> Tensor) -> MetricSpec {
        MetricSpec(kind: .custom(name, fn))
    }
    init(kind: Kind) { self.kind = kind }

    /// A metric by Keras id or class name with Keras's arguments (the YAML `{AUC: {curve: PR}}`).
    public init(_ id: String, arguments: [String: JSONValue]) { kind = .configured(id, arguments) }

    /// A metric object, e.g. `.metric(AUC(curve: .pr))` or `.metric(F1Score(average: .macro))`.
    public static func metric(_ m: Metric) -> MetricSpec { MetricSpec(kind: .instance(m)) }

    public var name: String {
        switch kind {
        case let .named(n): return n
        case let .custom(n, _): return n
        case let .configured(id, args): return args["name"]?.stringValue ?? (try? Metrics.make(id, arguments: args).name) ?? id
        case let .instance(m): return m.name
        }
    }

    /// Resolves the spec for a model whose output has `outputShape` (without batch) and targets `targetShape`,
    /// with `"accuracy"` chosen by shape exactly as Keras 3 does (compile_utils.py).
    /// `name` renames the metric (Keras's `weighted_<name>` for a weighted metric whose name is taken).
    public func resolve(outputShape: [Int], targetShape: [Int], loss: Loss, name given: String? = nil) throws -> Metric {
        switch kind {
        case let .custom(n, fn): return CustomMetric(name: given ?? n, fn)
        case let .configured(id, args):
            return try Metrics.make(id, arguments: args.merging(given.map { ["name": .string($0)] } ?? [:]) { $1 })
        case let .instance(m):
            if let given, given != m.name {
                throw StrataError.invalidArgument(
                    "weighted metric '\(m.name)' has the name of a metric",
                    hint: "create it with another name, e.g. name: \"\(given)\"")
            }
            return m
        case let .named(n):
            let name = given ?? n
            switch n.lowercased() {
            case "accuracy", "acc":
                let isBinary = outputShape.last == 1
                let isSparse =
                    loss.sparseTargets || targetShape.count < outputShape.count
                    || (targetShape.last == 1 && (outputShape.last ?? 1) > 1)
                if isBinary { return BinaryAccuracy(name: name) }
                if isSparse { return SparseCategoricalAccuracy(name: name) }
                return CategoricalAccuracy(name: name)
            default: return try Metrics.make(n, arguments: given.map { ["name": .string($0)] } ?? [:])
            }
        }
    }
}
