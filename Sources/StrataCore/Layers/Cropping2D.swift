/// Keras `Cropping2D(cropping)`: removes positions at the sides of every sample (`(height, width, channels)`),
/// `y[n, i, j, c] = x[n, i + top, j + left, c]`; `cropping` is `((top, bottom), (left, right))`. Computed by `SpatialMargins`; keras/src/layers/reshaping/cropping2d.py.
public final class Cropping2D: Layer {
    public let className = "Cropping2D"
    public var name: String
    public let cropping: ((Int, Int), (Int, Int))
    public let inputSpec: InputSpec?
    private let engine: SpatialMargins

    public init(cropping: ((Int, Int), (Int, Int)), inputShape: [Int]? = nil, name: String = "") {
        self.cropping = cropping
        self.name = name
        inputSpec = inputShape.map { InputSpec(shape: $0) }
        engine = SpatialMargins(spatialRank: 2, margins: (-cropping.0.0, -cropping.0.1, -cropping.1.0, -cropping.1.1))
    }

    /// Symmetric: `(height, width)` on both sides of each axis.
    public convenience init(_ cropping: (Int, Int) = (0, 0), inputShape: [Int]? = nil, name: String = "") {
        self.init(cropping: ((cropping.0, cropping.0), (cropping.1, cropping.1)), inputShape: inputShape, name: name)
    }

    public var weightHandles: [ParameterHandle] { [] }

    public func build(inputShape: [Int], weights: inout WeightAllocator) throws -> [Int] {
        try engine.build(layer: name, className: className, inputShape: inputShape, argument: "cropping")
    }

    public func forward(_ x: Tensor, context: LayerContext) -> Tensor { engine.forward(x, context: context) }

    /// Backward is a block copy of `dy`: it never reads the output.
    public var backwardReadsOutput: Bool { false }

    public func backward(_ dy: Tensor, context: LayerContext) -> Tensor { engine.backward(dy, context: context) }

    public var config: [String: JSONValue] {
        [
            "cropping": .array([JSONValue([cropping.0.0, cropping.0.1]), JSONValue([cropping.1.0, cropping.1.1])]),
            "data_format": "channels_last",
        ]
    }
}

extension Cropping2D: ConfigurableLayer {
    public static let kerasClassName = "Cropping2D"
    public convenience init(config c: LayerConfig) throws {
        try c.checkArguments(["cropping"], unsupported: [LayerConfig.channelsLast])
        let m = try SpatialMargins.read(c, "cropping", spatialRank: 2, default: 0)
        self.init(cropping: ((m.0, m.1), (m.2, m.3)), inputShape: try c.inputArguments().inputShape)
    }
}
