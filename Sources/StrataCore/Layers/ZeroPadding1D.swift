/// Keras `ZeroPadding1D(padding)`: adds zeros at the sides of every sample (`(steps, channels)`) along the steps,
/// `y[n, i + top, j + left, c] = x[n, i, j, c]`, zeros elsewhere; `padding` is `before and after the steps`. Computed by `SpatialMargins`; keras/src/layers/reshaping/zero_padding1d.py.
public final class ZeroPadding1D: Layer {
    public let className = "ZeroPadding1D"
    public var name: String
    public let padding: (Int, Int)
    public let inputSpec: InputSpec?
    private let engine: SpatialMargins

    public init(padding: (Int, Int), inputShape: [Int]? = nil, name: String = "") {
        self.padding = padding
        self.name = name
        inputSpec = inputShape.map { InputSpec(shape: $0) }
        engine = SpatialMargins(spatialRank: 1, margins: (0, 0, padding.0, padding.1))
    }

    public convenience init(_ padding: Int = 1, inputShape: [Int]? = nil, name: String = "") {
        self.init(padding: (padding, padding), inputShape: inputShape, name: name)
    }

    public var weightHandles: [ParameterHandle] { [] }

    public func build(inputShape: [Int], weights: inout WeightAllocator) throws -> [Int] {
        try engine.build(layer: name, className: className, inputShape: inputShape, argument: "padding")
    }

    public func forward(_ x: Tensor, context: LayerContext) -> Tensor { engine.forward(x, context: context) }

    /// Backward is a block copy of `dy`: it never reads the output.
    public var backwardReadsOutput: Bool { false }

    public func backward(_ dy: Tensor, context: LayerContext) -> Tensor { engine.backward(dy, context: context) }

    /// Without `data_format`: tf-keras's ZeroPadding1D has none, and Keras 3's default is channels_last.
    public var config: [String: JSONValue] { ["padding": JSONValue([padding.0, padding.1])] }
}

extension ZeroPadding1D: ConfigurableLayer {
    public static let kerasClassName = "ZeroPadding1D"
    public convenience init(config c: LayerConfig) throws {
        try c.checkArguments(["padding"], unsupported: [LayerConfig.channelsLast])
        let m = try SpatialMargins.read(c, "padding", spatialRank: 1, default: 1)
        self.init(padding: (m.2, m.3), inputShape: try c.inputArguments().inputShape)
    }
}
