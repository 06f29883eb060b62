/// Keras `Cropping1D(cropping)`: removes positions at the sides of every sample (`(steps, channels)`) along the steps,
/// `y[n, i, j, c] = x[n, i + top, j + left, c]`; `cropping` is `before and after the steps`. Computed by `SpatialMargins`; keras/src/layers/reshaping/cropping1d.py.
public final class Cropping1D: Layer {
    public let className = "Cropping1D"
    public var name: String
    public let cropping: (Int, Int)
    public let inputSpec: InputSpec?
    private let engine: SpatialMargins

    public init(cropping: (Int, Int), inputShape: [Int]? = nil, name: String = "") {
        self.cropping = cropping
        self.name = name
        inputSpec = inputShape.map { InputSpec(shape: $0) }
        engine = SpatialMargins(spatialRank: 1, margins: (0, 0, -cropping.0, -cropping.1))
    }

    public convenience init(_ cropping: Int = 1, inputShape: [Int]? = nil, name: String = "") {
        self.init(cropping: (cropping, cropping), inputShape: inputShape, name: name)
    }

    public var weightHandles: [ParameterHandle] { [] }

    public func build(inputShape: [Int], weights: inout WeightAllocator) throws -> [Int] {
        try engine.build(layer: name, className: className, inputShape: inputShape, argument: "cropping")
    }

    public func forward(_ x: Tensor, context: LayerContext) -> Tensor { engine.forward(x, context: context) }

    /// Backward is a block copy of `dy`: it never reads the output.
    public var backwardReadsOutput: Bool { false }

    public func backward(_ dy: Tensor, context: LayerContext) -> Tensor { engine.backward(dy, context: context) }

    public var config: [String: JSONValue] { ["cropping": JSONValue([cropping.0, cropping.1])] }
}

extension Cropping1D: ConfigurableLayer {
    public static let kerasClassName = "Cropping1D"
    public convenience init(config c: LayerConfig) throws {
        try c.checkArguments(["cropping"])
        let m = try SpatialMargins.read(c, "cropping", spatialRank: 1, default: 1)
        self.init(cropping: (m.2, m.3), inputShape: try c.inputArguments().inputShape)
    }
}
