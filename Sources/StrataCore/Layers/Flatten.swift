/// Keras `Flatten()`: C-order reshape of every sample to one axis (a view; no copy).
public final class Flatten: Layer {
    public let className = "Flatten"
    public var name: String
    public let inputSpec: InputSpec?
    private var inputShape: [Int] = []

    public init(inputShape: [Int]? = nil, name: String = "") {
        self.name = name
        inputSpec = inputShape.map { InputSpec(shape: $0) }
    }

    public var weightHandles: [ParameterHandle] { [] }
    /// A view: backward reshapes `dy` and reads nothing else.
    public var backwardReadsOutput: Bool { false }
    public var backwardReadsInput: Bool { false }

    public func build(inputShape: [Int], weights: inout WeightAllocator) throws -> [Int] {
        self.inputShape = inputShape
        return [inputShape.reduce(1, *)]
    }

    public func forward(_ x: Tensor, context: LayerContext) -> Tensor {
        x.view([x.shape.first ?? 0, x.rowSize])
    }

    public func backward(_ dy: Tensor, context: LayerContext) -> Tensor {
        dy.view([dy.shape.first ?? 0] + inputShape)
    }

    public var config: [String: JSONValue] { [:] }
}

extension Flatten: ConfigurableLayer {
    public static let kerasClassName = "Flatten"
    public convenience init(config c: LayerConfig) throws {
        try c.checkArguments([], unsupported: [LayerConfig.channelsLast])
        self.init(inputShape: try c.inputArguments().inputShape)
    }
}
