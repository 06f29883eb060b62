import Foundation

/// Losses by Keras id, alias or class name, with Keras's arguments (YAML `loss: {Huber: {delta: 2.0}}`,
/// `training_config`'s `{"class_name": ..., "config": ...}`).
extension Losses {
    /// Makes a loss from a Keras id or class name (`"huber"`, `"Huber"`, `"kld"`...) and Keras-named arguments.
    /// An unknown loss or argument, or a value of the wrong type, is one error naming it.
    public static func make(_ id: String, arguments: [String: JSONValue] = [:]) throws -> Loss {
        var args = ConfigArguments(what: "loss \(id)", arguments)
        args.remaining["name"] = nil  // Keras's instance name (`huber_loss`): the loss is reported as "loss"
        args.remaining["dtype"] = nil  // float32 (the only dtype) or null
        let loss: Loss
        switch id.lowercased().replacingOccurrences(of: "_", with: "") {
        case "categoricalcrossentropy":
            loss = CategoricalCrossentropy(
                fromLogits: try args.bool("from_logits", false),
                labelSmoothing: try args.float("label_smoothing", 0))
        case "sparsecategoricalcrossentropy":
            if let c = args.remaining.removeValue(forKey: "ignore_class"), c != .null {
                throw StrataError.invalidArgument(
                    "loss \(id): 'ignore_class' is not supported", hint: "filter those samples out, or give them sample weight 0")
            }
            loss = SparseCategoricalCrossentropy(fromLogits: try args.bool("from_logits", false))
        case "binarycrossentropy":
            loss = BinaryCrossentropy(
                fromLogits: try args.bool("from_logits", false),
                labelSmoothing: try args.float("label_smoothing", 0))
        case "mse", "meansquarederror": loss = MeanSquaredError()
        case "mae", "meanabsoluteerror": loss = MeanAbsoluteError()
        case "huber", "huberloss": loss = Huber(delta: try args.float("delta", 1))
        case "logcosh": loss = LogCosh()
        case "kldivergence", "kld", "kullbackleiblerdivergence": loss = KLDivergence()
        case "poisson": loss = Poisson()
        case "hinge": loss = Hinge()
        case "squaredhinge": loss = SquaredHinge()
        case "categoricalhinge": loss = CategoricalHinge()
        case "cosinesimilarity": loss = CosineSimilarity()
        case "mape", "meanabsolutepercentageerror": loss = MeanAbsolutePercentageError()
        case "msle", "meansquaredlogarithmicerror": loss = MeanSquaredLogarithmicError()
        case "binaryfocalcrossentropy":
            loss = BinaryFocalCrossentropy(
                applyClassBalancing: try args.bool("apply_class_balancing", false),
                alpha: try args.float("alpha", 0.25), gamma: try args.float("gamma", 2),
                fromLogits: try args.bool("from_logits", false),
                labelSmoothing: try args.float("label_smoothing", 0))
        case "categoricalfocalcrossentropy":
            loss = CategoricalFocalCrossentropy(
                alpha: try args.float("alpha", 0.25), gamma: try args.float("gamma", 2),
                fromLogits: try args.bool("from_logits", false),
                labelSmoothing: try args.float("label_smoothing", 0))
        default:
            throw StrataError.invalidArgument("unknown loss '\(id)'", hint: "use one of: " + knownLosses)
        }
        // Keras's `reduction` and `axis` are accepted at their defaults only (sum_over_batch_size, -1).
        if let r = args.remaining.removeValue(forKey: "reduction"), r != .null, r.stringValue != "sum_over_batch_size" {
            throw StrataError.invalidArgument(
                "loss \(id): reduction \(r) is not supported",
                hint: "Strata reduces as Keras's default, reduction: sum_over_batch_size")
        }
        if let a = args.remaining.removeValue(forKey: "axis"), a != .null, a.intValue != -1 {
            throw StrataError.invalidArgument("loss \(id): axis \(a) is not supported", hint: "losses reduce the last axis (axis: -1)")
        }
        try args.finish()
        return loss
    }

    /// The Keras ids `make` accepts (its aliases and class names too).
    static let knownLosses =
        "categorical_crossentropy, sparse_categorical_crossentropy, binary_crossentropy, "
        + "mean_squared_error (mse), mean_absolute_error (mae), huber, log_cosh, kl_divergence (kld), poisson, hinge, "
        + "squared_hinge, categorical_hinge, cosine_similarity, mean_absolute_percentage_error (mape), "
        + "mean_squared_logarithmic_error (msle), binary_focal_crossentropy, categorical_focal_crossentropy"

    /// A loss from `training_config`'s `loss`: a string id, or Keras's serialized instance
    /// `{"class_name": "Huber", "config": {"delta": 2.0, "name": ..., "reduction": ...}}`.
    public static func make(kerasConfig c: JSONValue) throws -> Loss {
        if let s = c.stringValue { return try make(s) }
        guard let cls = c["class_name"]?.stringValue else {
            throw StrataError.invalidArgument(
                "training_config has no loss Strata understands: \(c.jsonText)",
                hint: "a loss is a Keras id (\"huber\") or {\"class_name\": ..., \"config\": {...}}")
        }
        return try make(cls, arguments: c["config"]?.objectValue ?? [:])
    }

    /// The `loss` entry Keras's `training_config` gets for `loss`.
    public static func kerasConfig(of loss: Loss) -> JSONValue {
        (loss as? ConfigurableLoss)?.kerasConfig ?? .string(loss.name)
    }
}
