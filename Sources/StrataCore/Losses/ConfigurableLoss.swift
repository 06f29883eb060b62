/// A loss with Keras arguments: what `training_config` records so Python Keras (and Strata) compile the same loss.
/// With every argument at Keras's default it is written as its string id (`"huber"`), else as Keras writes a loss
/// instance: `{"class_name": "Huber", "config": {"name": "huber_loss", "reduction": "sum_over_batch_size", "delta": 2.0}}`.
public protocol ConfigurableLoss: Loss {
    /// Keras's class name (`Huber`).
    var kerasClassName: String { get }
    /// The `name` a Keras instance gets by default (`huber_loss`).
    var kerasName: String { get }
    /// The arguments that differ from Keras's defaults, by their Keras names (`["delta": 2.0]`).
    var arguments: [String: JSONValue] { get }
}

extension ConfigurableLoss {
    /// The `loss` entry of Keras's `training_config`.
    public var kerasConfig: JSONValue {
        let args = arguments
        if args.isEmpty { return .string(name) }
        var config = args
        config["name"] = .string(kerasName)
        config["reduction"] = "sum_over_batch_size"
        return [
            "module": "keras.losses", "class_name": .string(kerasClassName), "config": .object(config),
            "registered_name": .null,
        ]
    }
}

/// The crossentropies' Keras arguments that differ from the defaults (`alpha` 0.25 and `gamma` 2 for the focal ones).
func crossentropyArguments(fromLogits: Bool, labelSmoothing: Float, alpha: Float? = nil, gamma: Float? = nil) -> [String: JSONValue] {
    var a: [String: JSONValue] = [:]
    if let alpha, alpha != 0.25 { a["alpha"] = JSONValue(alpha) }
    if let gamma, gamma != 2 { a["gamma"] = JSONValue(gamma) }
    if fromLogits { a["from_logits"] = .bool(true) }
    if labelSmoothing != 0 { a["label_smoothing"] = JSONValue(labelSmoothing) }
    return a
}

/// A buffer kept by a loss between steps (softmax of logits, smoothed labels), reallocated only when the shape changes.
struct LossScratch {
    private var tensor: Tensor?
    mutating func buffer(like t: Tensor) -> Tensor {
        if let tensor, tensor.shape == t.shape { return tensor }
        let fresh = Tensor(zeros: t.shape)
        tensor = fresh
        return fresh
    }
}
