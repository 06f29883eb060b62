/// Keras `ELU(alpha=1.0)`: `f(x) = x > 0 ? x : alpha * (e^x - 1)`, `f'(x) = x > 0 ? 1 : f(x) + alpha`
/// (keras/src/layers/activations/elu.py).
public final class ELU: Layer {
    public let className = "ELU"
    public var name: String
    public let alpha: Float
    public let inputSpec: InputSpec?
    private var core = ElementwiseCore()

    public init(alpha: Float = 1.0, inputShape: [Int]? = nil, name: String = "") {
        self.alpha = alpha
        self.name = name
        inputSpec = inputShape.map { InputSpec(shape: $0) }
    }

    public var weightHandles: [ParameterHandle] { [] }

    public func build(inputShape: [Int], weights: inout WeightAllocator) throws -> [Int] { inputShape }

    public func forward(_ x: Tensor, context: LayerContext) -> Tensor {
        let a = alpha
        return core.forward(x) { v in v > 0 ? v : a * (Kernels.exp(v) - 1) }
    }

    public func backward(_ dy: Tensor, context: LayerContext) -> Tensor {
        let a = alpha
        return core.backward(dy, context: context) { v, y, g in v > 0 ? g : g * (y + a) }
    }

    public var config: [String: JSONValue] { ["alpha": JSONValue(alpha)] }
}

extension ELU: ConfigurableLayer {
    public static let kerasClassName = "ELU"
    public convenience init(config c: LayerConfig) throws {
        try c.checkArguments(["alpha"])
        self.init(alpha: Float(try c.double("alpha") ?? 1.0), inputShape: try c.inputArguments().inputShape)
    }
}
