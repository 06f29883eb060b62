/// Keras's weight constraints (keras/src/constraints/constraints.py), applied to a weight after each optimizer
/// update (on every rank alike, after the all-reduce). With `n = sqrt(sum(w^2 over axis))` per slice and
/// `eps = 1e-7` (Keras's `backend.epsilon()`):
/// - `MaxNorm(max_value=2, axis=0)`: `w * clip(n, 0, max_value) / (eps + n)`;
/// - `NonNeg()`: `w * (w >= 0)`;
/// - `UnitNorm(axis=0)`: `w / (eps + n)`;
/// - `MinMaxNorm(min_value=0, max_value=1, rate=1, axis=0)`: `w * (rate * clip(n, min, max) + (1 - rate) n) / (eps + n)`.
/// `axis` lists the axes the norm runs over (Keras: `0` for a Dense kernel `(in, units)`, `[0, 1, 2]` for a Conv2D
/// kernel); negative axes count from the end.
public enum Constraint: Equatable, Sendable {
    case maxNorm(maxValue: Float = 2, axis: [Int] = [0])
    case nonNeg
    case unitNorm(axis: [Int] = [0])
    case minMaxNorm(minValue: Float = 0, maxValue: Float = 1, rate: Float = 1, axis: [Int] = [0])

    /// Applies the constraint to `w` in place.
    public func apply(to w: Tensor) {
        switch self {
        case .nonNeg: UpdateKernels.clampBelow(w, 0)
        case let .maxNorm(m, axis): rescale(w, axis) { n in min(max(n, 0), m) }
        case let .unitNorm(axis): rescale(w, axis) { _ in 1 }
        case let .minMaxNorm(lo, hi, rate, axis): rescale(w, axis) { n in rate * min(max(n, lo), hi) + (1 - rate) * n }
        }
    }

    /// `w *= desired(n) / (eps + n)` per slice of the norm axes.
    private func rescale(_ w: Tensor, _ axis: [Int], _ desired: (Float) -> Float) {
        let rank = max(w.shape.count, 1)
        let shape = w.shape.isEmpty ? [1] : w.shape
        let axes = Set(axis.map { ($0 % rank + rank) % rank })
        UpdateKernels.rescaleSlices(w, shape: shape, normAxes: axes) { n in desired(n) / (1e-7 + n) }
    }

    /// Keras's class name.
    public var kerasClassName: String {
        switch self {
        case .maxNorm: return "MaxNorm"
        case .nonNeg: return "NonNeg"
        case .unitNorm: return "UnitNorm"
        case .minMaxNorm: return "MinMaxNorm"
        }
    }

    /// Keras 3's serialized form.
    public var kerasConfig: JSONValue {
        func ax(_ a: [Int]) -> JSONValue { a.count == 1 ? JSONValue(a[0]) : JSONValue(a) }
        let c: [String: JSONValue]
        switch self {
        case .nonNeg: c = [:]
        case let .maxNorm(m, a): c = ["max_value": JSONValue(m), "axis": ax(a)]
        case let .unitNorm(a): c = ["axis": ax(a)]
        case let .minMaxNorm(lo, hi, r, a):
            c = ["min_value": JSONValue(lo), "max_value": JSONValue(hi), "rate": JSONValue(r), "axis": ax(a)]
        }
        return ["module": "keras.constraints", "class_name": .string(kerasClassName), "config": .object(c), "registered_name": .null]
    }

    /// Parses a Keras constraint: a name (`"max_norm"`, `"NonNeg"`) or a serialized object of any Keras dialect.
    public init(keras v: JSONValue) throws {
        let hint = "use max_norm, non_neg, unit_norm or min_max_norm"
        guard let cls = v.stringValue ?? v["class_name"]?.stringValue else {
            throw StrataError.invalidArgument("a constraint must be a name or {class_name, config}, got \(v.jsonText)", hint: hint)
        }
        let c = v["config"]
        func number(_ k: String, _ d: Float) -> Float { c?[k]?.doubleValue.map { Float($0) } ?? d }
        var axis = [0]
        if let a = c?["axis"], a != .null {
            if let i = a.intValue {
                axis = [i]
            } else if let list = a.arrayValue?.compactMap(\.intValue), list.count == a.arrayValue?.count {
                axis = list
            } else {
                throw StrataError.invalidArgument("constraint axis must be an integer or a list of integers, got \(a.jsonText)", hint: hint)
            }
        }
        switch cls.lowercased().replacingOccurrences(of: "_", with: "") {
        case "maxnorm": self = .maxNorm(maxValue: number("max_value", 2), axis: axis)
        case "nonneg": self = .nonNeg
        case "unitnorm": self = .unitNorm(axis: axis)
        case "minmaxnorm":
            self = .minMaxNorm(minValue: number("min_value", 0), maxValue: number("max_value", 1), rate: number("rate", 1), axis: axis)
        default: throw StrataError.invalidArgument("unsupported constraint '\(cls)'", hint: "Strata implements " + hint)
        }
    }
}
