/// Keras `GlobalAveragePooling2D()`: the mean of each channel over all positions, `(height, width, channels)`
/// -> `(channels,)` (`keepdims`: `(1, 1, channels)`). Shares `GlobalPooling` with the other global pooling layers.
public final class GlobalAveragePooling2D: Layer {
    public let className = "GlobalAveragePooling2D"
    public var name: String
    public let keepdims: Bool
    public let inputSpec: InputSpec?
    private let engine: GlobalPooling

    public init(keepdims: Bool = false, inputShape: [Int]? = nil, name: String = "") {
        self.keepdims = keepdims
        self.name = name
        engine = GlobalPooling(kind: .average, spatialRank: 2, keepdims: keepdims)
        inputSpec = inputShape.map { InputSpec(shape: $0) }
    }

    public var weightHandles: [ParameterHandle] { [] }

    public func build(inputShape: [Int], weights: inout WeightAllocator) throws -> [Int] {
        try engine.build(layer: name, className: className, inputShape: inputShape)
    }

    public func forward(_ x: Tensor, context: LayerContext) -> Tensor { engine.forward(x) }

    public func backward(_ dy: Tensor, context: LayerContext) -> Tensor { engine.backward(dy, context: context) }

    public var config: [String: JSONValue] { engine.config }
}

extension GlobalAveragePooling2D: ConfigurableLayer {
    public static let kerasClassName = "GlobalAveragePooling2D"
    public convenience init(config c: LayerConfig) throws {
        self.init(keepdims: try GlobalPooling.keepdims(c), inputShape: try c.inputArguments().inputShape)
    }
}
