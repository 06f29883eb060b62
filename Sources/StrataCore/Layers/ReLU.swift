/// Keras `ReLU(max_value, negative_slope, threshold)` (keras/src/layers/activations/relu.py, `activations.relu`):
/// `f(x) = clip(x > threshold ? x : 0, 0, max_value) - negative_slope * max(threshold - x, 0)`; without
/// `max_value` there is no clip. `f'(x)` is 1 where `x > threshold` (and inside the clip), `negative_slope` where
/// `x < threshold`.
public final class ReLU: Layer {
    public let className = "ReLU"
    public var name: String
    public let maxValue: Float?
    public let negativeSlope: Float
    public let threshold: Float
    public let inputSpec: InputSpec?
    private var core = ElementwiseCore()

    public init(maxValue: Float? = nil, negativeSlope: Float = 0, threshold: Float = 0, inputShape: [Int]? = nil, name: String = "") {
        self.maxValue = maxValue
        self.negativeSlope = negativeSlope
        self.threshold = threshold
        self.name = name
        inputSpec = inputShape.map { InputSpec(shape: $0) }
    }

    public var weightHandles: [ParameterHandle] { [] }

    public func build(inputShape: [Int], weights: inout WeightAllocator) throws -> [Int] {
        if let m = maxValue, m < 0 {
            throw StrataError.invalidModel(layer: name, "max_value must be >= 0, got \(m)", hint: "use e.g. ReLU(maxValue: 6)")
        }
        guard threshold >= 0 else {
            throw StrataError.invalidModel(
                layer: name, "threshold must be >= 0, got \(threshold)", hint: "use e.g. 0 (Keras refuses negative thresholds)")
        }
        guard negativeSlope >= 0 else {
            throw StrataError.invalidModel(layer: name, "negative_slope must be >= 0, got \(negativeSlope)", hint: "use e.g. 0.1")
        }
        return inputShape
    }

    public func forward(_ x: Tensor, context: LayerContext) -> Tensor {
        let t = threshold, s = negativeSlope, m = maxValue ?? .infinity, clip = maxValue != nil
        return core.forward(x) { v in
            var a = v > t ? v : 0
            if clip { a = min(max(a, 0), m) }
            return a - s * max(t - v, 0)
        }
    }

    public func backward(_ dy: Tensor, context: LayerContext) -> Tensor {
        let t = threshold, s = negativeSlope, m = maxValue ?? .infinity, clip = maxValue != nil
        return core.backward(dy, context: context) { v, _, g in
            let pass: Float = v > t && (!clip || (v >= 0 && v <= m)) ? 1 : 0
            return g * (pass + (v < t ? s : 0))
        }
    }

    public var config: [String: JSONValue] {
        [
            "max_value": maxValue.map { JSONValue($0) } ?? .null, "negative_slope": JSONValue(negativeSlope),
            "threshold": JSONValue(threshold),
        ]
    }
}

extension ReLU: ConfigurableLayer {
    public static let kerasClassName = "ReLU"
    public convenience init(config c: LayerConfig) throws {
        try c.checkArguments(["max_value", "negative_slope", "threshold"])
        self.init(
            maxValue: try c.double("max_value").map { Float($0) }, negativeSlope: Float(try c.double("negative_slope") ?? 0),
            threshold: Float(try c.double("threshold") ?? 0), inputShape: try c.inputArguments().inputShape)
    }
}
