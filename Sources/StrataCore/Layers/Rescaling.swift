/// Keras `Rescaling(scale, offset=0.0)` (keras/src/layers/preprocessing/rescaling.py): `y = x * scale + offset`,
/// `dx = dy * scale`; e.g. `Rescaling(1.0 / 255)` for pixels.
public final class Rescaling: Layer {
    public let className = "Rescaling"
    public var name: String
    public let scale: Float
    public let offset: Float
    public let inputSpec: InputSpec?
    private var core = ElementwiseCore()

    public init(_ scale: Float, offset: Float = 0, inputShape: [Int]? = nil, name: String = "") {
        self.scale = scale
        self.offset = offset
        self.name = name
        inputSpec = inputShape.map { InputSpec(shape: $0) }
    }

    public var weightHandles: [ParameterHandle] { [] }
    public var backwardReadsOutput: Bool { false }

    public func build(inputShape: [Int], weights: inout WeightAllocator) throws -> [Int] { inputShape }

    public func forward(_ x: Tensor, context: LayerContext) -> Tensor {
        let (s, o) = (scale, offset)
        return core.forward(x) { $0 * s + o }
    }

    public func backward(_ dy: Tensor, context: LayerContext) -> Tensor {
        let s = scale
        return core.backward(dy, context: context) { _, _, g in g * s }
    }

    public var config: [String: JSONValue] { ["scale": JSONValue(scale), "offset": JSONValue(offset)] }
}

extension Rescaling: ConfigurableLayer {
    public static let kerasClassName = "Rescaling"
    public convenience init(config c: LayerConfig) throws {
        try c.checkArguments(["scale", "offset"])
        guard let s = try c.double("scale") else {
            throw c.fail("scale", "a number (it is required; a per-channel list is not supported)")
        }
        self.init(Float(s), offset: Float(try c.double("offset") ?? 0), inputShape: try c.inputArguments().inputShape)
    }
}
