/// Keras's weight regularizers `L1`, `L2`, `L1L2` (keras/src/regularizers/regularizers.py):
/// `penalty(w) = l1 * sum(|w|) + l2 * sum(w^2)`, added to the loss once per step (Keras's `model.losses`), so its
/// gradient `l1 * sign(w) + 2 * l2 * w` is added ONCE to the global gradient, after the all-reduce: 1 and N ranks
/// take the same step. As an `activity_regularizer` it applies to a layer's output divided by the batch size.
///
/// `"l1"` and `"l2"` by name mean a factor of 0.01; `"l1_l2"` by name means `L1L2()` (both 0), as in Keras.
public struct Regularizer: Equatable, Sendable {
    public var l1: Float
    public var l2: Float
    public init(l1: Float = 0, l2: Float = 0) {
        self.l1 = l1
        self.l2 = l2
    }

    /// Keras `regularizers.l1(l1=0.01)`.
    public static func l1(_ l1: Float = 0.01) -> Regularizer { Regularizer(l1: l1) }
    /// Keras `regularizers.l2(l2=0.01)`.
    public static func l2(_ l2: Float = 0.01) -> Regularizer { Regularizer(l2: l2) }
    /// Keras `regularizers.l1_l2(l1=0.0, l2=0.0)`.
    public static func l1l2(l1: Float = 0, l2: Float = 0) -> Regularizer { Regularizer(l1: l1, l2: l2) }

    /// `l1 * sum(|w|) + l2 * sum(w^2)`, in Double.
    public func penalty(_ w: Tensor) -> Double {
        (l1 != 0 ? Double(l1) * UpdateKernels.sumOfAbsolutes(w) : 0) + (l2 != 0 ? Double(l2) * UpdateKernels.sumOfSquares(w) : 0)
    }

    /// `g += scale * (l1 * sign(w) + 2 * l2 * w)`: the penalty's gradient added into `g`.
    public func addGradient(of w: Tensor, scale: Float = 1, into g: Tensor) {
        UpdateKernels.addRegularizerGradient(w, l1: l1 * scale, l2: l2 * scale, into: g)
    }

    /// Keras's class name: `L1`, `L2` or `L1L2`.
    public var kerasClassName: String { l2 == 0 && l1 != 0 ? "L1" : l1 == 0 && l2 != 0 ? "L2" : "L1L2" }

    /// Keras 3's serialized form (`{"module": "keras.regularizers", "class_name": "L2", "config": {"l2": 0.01}}`).
    public var kerasConfig: JSONValue {
        let cls = kerasClassName
        var c: [String: JSONValue] = [:]
        if cls != "L2" { c["l1"] = JSONValue(l1) }
        if cls != "L1" { c["l2"] = JSONValue(l2) }
        return ["module": "keras.regularizers", "class_name": .string(cls), "config": .object(c), "registered_name": .null]
    }

    /// Parses a Keras regularizer: a name (`"l2"`, `"L1L2"`) or a serialized object of any Keras dialect.
    public init(keras v: JSONValue) throws {
        let hint = "use l1, l2 or l1_l2 (e.g. {\"class_name\": \"L2\", \"config\": {\"l2\": 0.01}})"
        guard let cls = v.stringValue ?? v["class_name"]?.stringValue else {
            throw StrataError.invalidArgument("a regularizer must be a name or {class_name, config}, got \(v.jsonText)", hint: hint)
        }
        let c = v["config"]
        func factor(_ k: String, _ d: Float) -> Float { c?[k]?.doubleValue.map { Float($0) } ?? d }
        switch cls.lowercased().replacingOccurrences(of: "_", with: "") {
        case "l1": self.init(l1: factor("l1", 0.01))
        case "l2": self.init(l2: factor("l2", 0.01))
        case "l1l2": self.init(l1: factor("l1", 0), l2: factor("l2", 0))
        default:
            throw StrataError.invalidArgument("unsupported regularizer '\(cls)'", hint: "Strata implements L1, L2 and L1L2: " + hint)
        }
        guard l1 >= 0 && l2 >= 0 && l1.isFinite && l2.isFinite else {
            throw StrataError.invalidArgument("regularizer factors must be finite and >= 0, got l1=\(l1) l2=\(l2)", hint: hint)
        }
    }
}
