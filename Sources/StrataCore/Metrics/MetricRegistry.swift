import Foundation

/// Metrics by Keras id or class name, with Keras's arguments (YAML `metrics: [accuracy, {AUC: {curve: PR}}]`,
/// `training_config`'s serialized metrics).
public enum Metrics {
    /// Makes a metric from a Keras id or class name and Keras-named arguments (`name` included; without it the
    /// metric gets Keras's default name, or `id` when `id` is a snake_case id). `"accuracy"` / `"acc"` depend on
    /// the model's output and are resolved by `MetricSpec`. An unknown metric or argument is one error naming it.
    public static func make(_ id: String, arguments: [String: JSONValue] = [:]) throws -> Metric {
        var args = ConfigArguments(what: "metric \(id)", arguments)
        args.remaining["dtype"] = nil
        let given = try args.string("name")
        func name(_ keras: String) -> String { given ?? (id.contains(where: \.isUppercase) ? keras : id) }
        // Keras's spellings only: a class name (`F1Score`) or a snake_case id (`f1_score`), not `f1score`.
        let isClassName = id.contains(where: \.isUppercase)
        guard isClassName || snakeIds.contains(id) else {
            throw StrataError.invalidArgument("unknown metric '\(id)'", hint: "use one of: " + knownMetrics)
        }
        let metric: Metric
        switch id.lowercased().replacingOccurrences(of: "_", with: "") {
        case "binaryaccuracy":
            metric = BinaryAccuracy(name: name("binary_accuracy"), threshold: try args.float("threshold", 0.5))
        case "categoricalaccuracy": metric = CategoricalAccuracy(name: name("categorical_accuracy"))
        case "sparsecategoricalaccuracy": metric = SparseCategoricalAccuracy(name: name("sparse_categorical_accuracy"))
        case "mse", "meansquarederror": metric = MeanSquaredErrorMetric(name: given ?? id)
        case "mae", "meanabsoluteerror": metric = MeanAbsoluteErrorMetric(name: given ?? id)
        case "topkcategoricalaccuracy":
            metric = TopKCategoricalAccuracy(k: try args.int("k", 5, min: 1), name: name("top_k_categorical_accuracy"))
        case "sparsetopkcategoricalaccuracy":
            metric = SparseTopKCategoricalAccuracy(k: try args.int("k", 5, min: 1), name: name("sparse_top_k_categorical_accuracy"))
        case "precision", "recall":
            let thresholds = try args.optionalFloat("thresholds"), topK = try args.optionalInt("top_k", min: 1)
            let classId = try args.optionalInt("class_id", min: 0)
            metric =
                id.lowercased() == "precision"
                ? Precision(thresholds: thresholds, topK: topK, classId: classId, name: name("precision"))
                : Recall(thresholds: thresholds, topK: topK, classId: classId, name: name("recall"))
        case "auc":
            let t = try args.int("num_thresholds", 200, min: 2)
            let curveName = try args.string("curve") ?? "ROC"
            guard let curve = AUC.Curve(rawValue: curveName.uppercased()) else {
                throw StrataError.invalidArgument("metric \(id): curve '\(curveName)' is not supported", hint: "use curve: ROC or PR")
            }
            let methodName = try args.string("summation_method") ?? "interpolation"
            guard let method = AUC.SummationMethod(rawValue: methodName.lowercased()) else {
                throw StrataError.invalidArgument(
                    "metric \(id): summation_method '\(methodName)' is not supported",
                    hint: "use interpolation, minoring or majoring")
            }
            for unsupported in ["thresholds", "label_weights", "num_labels"]
            where args.remaining[unsupported] != nil && args.remaining[unsupported] != .null {
                throw StrataError.invalidArgument(
                    "metric \(id): '\(unsupported)' is not supported",
                    hint: "AUC uses num_thresholds evenly spaced thresholds (Keras's default)")
            }
            args.remaining["thresholds"] = nil; args.remaining["label_weights"] = nil; args.remaining["num_labels"] = nil
            metric = AUC(
                numThresholds: t, curve: curve, summationMethod: method, multiLabel: try args.bool("multi_label", false),
                fromLogits: try args.bool("from_logits", false), name: name("auc"))
        case "f1score":
            guard let a = try args.string("average"), let average = F1Score.Average(rawValue: a) else {
                throw StrataError.invalidArgument(
                    "metric \(id): 'average' must be micro, macro or weighted",
                    hint: "Keras's average=None reports one figure per class, which History cannot hold; e.g. {F1Score: {average: macro}}")
            }
            if let beta = args.remaining.removeValue(forKey: "beta"), beta != .null, beta.doubleValue != 1 {
                throw StrataError.invalidArgument("metric \(id): 'beta' is not supported", hint: "F1Score has beta 1")
            }
            metric = F1Score(average: average, threshold: try args.optionalFloat("threshold"), name: name("f1_score"))
        case "meaniou":
            guard let classes = try args.optionalInt("num_classes", min: 1) else {
                throw StrataError.invalidArgument("metric \(id): 'num_classes' is required", hint: "e.g. {MeanIoU: {num_classes: 3}}")
            }
            metric = MeanIoU(
                numClasses: classes, ignoreClass: try args.optionalInt("ignore_class", min: Int.min),
                sparseYTrue: try args.bool("sparse_y_true", true), sparseYPred: try args.bool("sparse_y_pred", true),
                name: name("mean_io_u"))
            if let a = args.remaining.removeValue(forKey: "axis"), a != .null, a.intValue != -1 {
                throw StrataError.invalidArgument("metric \(id): axis \(a) is not supported", hint: "MeanIoU takes the last axis")
            }
        default:
            throw StrataError.invalidArgument("unknown metric '\(id)'", hint: "use one of: " + knownMetrics)
        }
        try args.finish()
        return metric
    }

    static let snakeIds: Set<String> = [
        "binary_accuracy", "categorical_accuracy", "sparse_categorical_accuracy", "mse", "mae", "mean_squared_error",
        "mean_absolute_error", "top_k_categorical_accuracy", "sparse_top_k_categorical_accuracy", "precision", "recall",
        "auc", "f1_score", "mean_io_u",
    ]

    static let knownMetrics =
        "accuracy (acc), binary_accuracy, categorical_accuracy, sparse_categorical_accuracy, "
        + "top_k_categorical_accuracy, sparse_top_k_categorical_accuracy, mse, mae, precision, recall, auc, "
        + "{F1Score: {average: macro}}, {MeanIoU: {num_classes: N}}, or MetricSpec.custom(name) { yTrue, yPred in ... }"

    /// The entry Keras's `training_config` gets for a metric: its name for a plain id, else Keras's serialized
    /// instance (class name and config).
    static func kerasConfig(className: String, config: [String: JSONValue]) -> JSONValue {
        ["module": "keras.metrics", "class_name": .string(className), "config": .object(config), "registered_name": .null]
    }
}

/// A metric with Keras arguments: what `training_config` records (Keras's serialized instance) so Python Keras
/// and Strata rebuild the same metric.
public protocol ConfigurableMetric: Metric {
    /// Keras's class name (`AUC`) and its config (`name` and the arguments, by Keras's names).
    var kerasClassName: String { get }
    var kerasConfig: [String: JSONValue] { get }
}

extension Metrics {
    /// The entry Keras's `training_config["metrics"]` gets for `spec` resolved as `metric`: the id for a plain
    /// string id, Keras's serialized instance for a metric with arguments.
    static func kerasConfig(_ spec: MetricSpec, resolved metric: Metric?) -> JSONValue {
        if case let .named(n) = spec.kind { return .string(n) }
        guard let m = (metric ?? (try? spec.resolve(outputShape: [], targetShape: [], loss: MeanSquaredError()))) as? ConfigurableMetric
        else {
            return .string(spec.name)
        }
        return [
            "module": "keras.metrics", "class_name": .string(m.kerasClassName), "config": .object(m.kerasConfig),
            "registered_name": .null,
        ]
    }

    /// A metric spec from `training_config["metrics"]`'s entry when it is a serialized Keras metric Strata knows
    /// (`{"class_name": "AUC", "config": {...}}`), else nil.
    static func spec(kerasConfig c: JSONValue) -> MetricSpec? {
        guard let cls = c["class_name"]?.stringValue, let config = c["config"]?.objectValue,
            (try? make(cls, arguments: config)) != nil
        else { return nil }
        return MetricSpec(cls, arguments: config)
    }
}

extension ThresholdCountingMetric {
    var thresholdConfig: [String: JSONValue] {
        [
            "name": .string(name), "thresholds": thresholds.isFinite ? JSONValue(thresholds) : .null,
            "top_k": topK.map { JSONValue($0) } ?? .null, "class_id": classId.map { JSONValue($0) } ?? .null,
        ]
    }
}

extension Precision: ConfigurableMetric {
    public var kerasClassName: String { "Precision" }
    public var kerasConfig: [String: JSONValue] { thresholdConfig }
}

extension Recall: ConfigurableMetric {
    public var kerasClassName: String { "Recall" }
    public var kerasConfig: [String: JSONValue] { thresholdConfig }
}

extension AUC: ConfigurableMetric {
    public var kerasClassName: String { "AUC" }
    public var kerasConfig: [String: JSONValue] {
        [
            "name": .string(name), "num_thresholds": JSONValue(numThresholds), "curve": .string(curve.rawValue),
            "summation_method": .string(summationMethod.rawValue), "multi_label": .bool(multiLabel), "from_logits": .bool(fromLogits),
        ]
    }
}

extension F1Score: ConfigurableMetric {
    public var kerasClassName: String { "F1Score" }
    public var kerasConfig: [String: JSONValue] {
        ["name": .string(name), "average": .string(average.rawValue), "threshold": threshold.map { JSONValue($0) } ?? .null]
    }
}

extension MeanIoU: ConfigurableMetric {
    public var kerasClassName: String { "MeanIoU" }
    public var kerasConfig: [String: JSONValue] {
        [
            "name": .string(name), "num_classes": JSONValue(numClasses), "ignore_class": ignoreClass.map { JSONValue($0) } ?? .null,
            "sparse_y_true": .bool(sparseYTrue), "sparse_y_pred": .bool(sparseYPred),
        ]
    }
}

extension TopKCategoricalAccuracy: ConfigurableMetric {
    public var kerasClassName: String { "TopKCategoricalAccuracy" }
    public var kerasConfig: [String: JSONValue] { ["name": .string(name), "k": JSONValue(k)] }
}

extension SparseTopKCategoricalAccuracy: ConfigurableMetric {
    public var kerasClassName: String { "SparseTopKCategoricalAccuracy" }
    public var kerasConfig: [String: JSONValue] { ["name": .string(name), "k": JSONValue(k)] }
}

extension BinaryAccuracy: ConfigurableMetric {
    public var kerasClassName: String { "BinaryAccuracy" }
    public var kerasConfig: [String: JSONValue] { ["name": .string(name), "threshold": JSONValue(threshold)] }
}
