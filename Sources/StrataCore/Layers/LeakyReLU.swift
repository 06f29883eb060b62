/// Keras `LeakyReLU(negative_slope=0.3)`: `f(x) = x >= 0 ? x : negative_slope * x`
/// (keras/src/layers/activations/leaky_relu.py; Keras 2 called the slope `alpha`).
public final class LeakyReLU: Layer {
    public let className = "LeakyReLU"
    public var name: String
    public let negativeSlope: Float
    public let inputSpec: InputSpec?
    private var core = ElementwiseCore()

    public init(negativeSlope: Float = 0.3, inputShape: [Int]? = nil, name: String = "") {
        self.negativeSlope = negativeSlope
        self.name = name
        inputSpec = inputShape.map { InputSpec(shape: $0) }
    }

    public var weightHandles: [ParameterHandle] { [] }

    public func build(inputShape: [Int], weights: inout WeightAllocator) throws -> [Int] {
        guard negativeSlope >= 0 else {
            throw StrataError.invalidModel(layer: name, "negative_slope must be >= 0, got \(negativeSlope)", hint: "use e.g. 0.3")
        }
        return inputShape
    }

    public func forward(_ x: Tensor, context: LayerContext) -> Tensor {
        let s = negativeSlope
        return core.forward(x) { v in v > 0 ? v : s * v }
    }

    public func backward(_ dy: Tensor, context: LayerContext) -> Tensor {
        let s = negativeSlope
        return core.backward(dy, context: context) { v, _, g in v > 0 ? g : s * g }
    }

    public var config: [String: JSONValue] { ["negative_slope": JSONValue(negativeSlope)] }
}

extension LeakyReLU: ConfigurableLayer {
    public static let kerasClassName = "LeakyReLU"
    public convenience init(config c: LayerConfig) throws {
        try c.checkArguments(["negative_slope", "alpha"])
        let slope = try c.double("negative_slope") ?? c.double("alpha") ?? 0.3
        self.init(negativeSlope: Float(slope), inputShape: try c.inputArguments().inputShape)
    }
}
