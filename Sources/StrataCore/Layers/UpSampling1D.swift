/// Keras `UpSampling1D(size)`: each step of `(steps, channels)` repeated `size` times,
/// `y[n, t, c] = x[n, t / size, c]`. Computed by `Upsampling` (height 1, nearest);
/// keras/src/layers/reshaping/up_sampling1d.py.
public final class UpSampling1D: Layer {
    public let className = "UpSampling1D"
    public var name: String
    public let size: Int
    public let inputSpec: InputSpec?
    private let engine: Upsampling

    public init(size: Int = 2, inputShape: [Int]? = nil, name: String = "") {
        self.size = size
        self.name = name
        inputSpec = inputShape.map { InputSpec(shape: $0) }
        engine = Upsampling(spatialRank: 1, size: (1, size), interpolation: .nearest)
    }

    public var weightHandles: [ParameterHandle] { [] }

    public func build(inputShape: [Int], weights: inout WeightAllocator) throws -> [Int] {
        try engine.build(layer: name, className: className, inputShape: inputShape)
    }

    public func forward(_ x: Tensor, context: LayerContext) -> Tensor { engine.forward(x, context: context) }

    /// Backward needs only the sizes, not the upsampled values.
    public var backwardReadsOutput: Bool { false }

    public func backward(_ dy: Tensor, context: LayerContext) -> Tensor { engine.backward(dy, context: context) }

    public var config: [String: JSONValue] { ["size": JSONValue(size)] }
}

extension UpSampling1D: ConfigurableLayer {
    public static let kerasClassName = "UpSampling1D"
    public convenience init(config c: LayerConfig) throws {
        try c.checkArguments(["size"])
        self.init(size: try c.single("size") ?? 2, inputShape: try c.inputArguments().inputShape)
    }
}
