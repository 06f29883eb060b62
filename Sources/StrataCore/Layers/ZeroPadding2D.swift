/// Keras `ZeroPadding2D(padding)`: adds zeros at the sides of every sample (`(height, width, channels)`),
/// `y[n, i + top, j + left, c] = x[n, i, j, c]`, zeros elsewhere; `padding` is `((top, bottom), (left, right))`. Computed by `SpatialMargins`; keras/src/layers/reshaping/zero_padding2d.py.
public final class ZeroPadding2D: Layer {
    public let className = "ZeroPadding2D"
    public var name: String
    public let padding: ((Int, Int), (Int, Int))
    public let inputSpec: InputSpec?
    private let engine: SpatialMargins

    public init(padding: ((Int, Int), (Int, Int)), inputShape: [Int]? = nil, name: String = "") {
        self.padding = padding
        self.name = name
        inputSpec = inputShape.map { InputSpec(shape: $0) }
        engine = SpatialMargins(spatialRank: 2, margins: (padding.0.0, padding.0.1, padding.1.0, padding.1.1))
    }

    /// Symmetric: `(height, width)` on both sides of each axis.
    public convenience init(_ padding: (Int, Int) = (1, 1), inputShape: [Int]? = nil, name: String = "") {
        self.init(padding: ((padding.0, padding.0), (padding.1, padding.1)), inputShape: inputShape, name: name)
    }

    public var weightHandles: [ParameterHandle] { [] }

    public func build(inputShape: [Int], weights: inout WeightAllocator) throws -> [Int] {
        try engine.build(layer: name, className: className, inputShape: inputShape, argument: "padding")
    }

    public func forward(_ x: Tensor, context: LayerContext) -> Tensor { engine.forward(x, context: context) }

    /// Backward is a block copy of `dy`: it never reads the output.
    public var backwardReadsOutput: Bool { false }

    public func backward(_ dy: Tensor, context: LayerContext) -> Tensor { engine.backward(dy, context: context) }

    public var config: [String: JSONValue] {
        [
            "padding": .array([JSONValue([padding.0.0, padding.0.1]), JSONValue([padding.1.0, padding.1.1])]),
            "data_format": "channels_last",
        ]
    }
}

extension ZeroPadding2D: ConfigurableLayer {
    public static let kerasClassName = "ZeroPadding2D"
    public convenience init(config c: LayerConfig) throws {
        try c.checkArguments(["padding"], unsupported: [LayerConfig.channelsLast])
        let m = try SpatialMargins.read(c, "padding", spatialRank: 2, default: 1)
        self.init(padding: ((m.0, m.1), (m.2, m.3)), inputShape: try c.inputArguments().inputShape)
    }
}
