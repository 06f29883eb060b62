/// Keras `MaxPooling2D(pool_size)`: the maximum over each channel of `pool_size` windows of
/// `(height, width, channels)` samples; `strides` default to the pool size; padding `valid` (drops the remainder)
/// or `same` (TensorFlow's split, padded positions ignored); the gradient goes to the first maximum, as
/// TensorFlow's MaxPoolGrad. keras/src/layers/pooling/max_pooling2d.py.
public final class MaxPooling2D: Layer {
    public let className = "MaxPooling2D"
    public var name: String
    public let poolSize: (Int, Int)
    public let strides: (Int, Int)
    public let padding: Padding
    public let inputSpec: InputSpec?
    private let engine = WindowPooling(kind: .max, spatialRank: 2)

    public init(
        poolSize: (Int, Int) = (2, 2), strides: (Int, Int)? = nil, padding: Padding = .valid,
        inputShape: [Int]? = nil, name: String = ""
    ) {
        self.poolSize = poolSize
        self.strides = strides ?? poolSize
        self.padding = padding
        self.name = name
        inputSpec = inputShape.map { InputSpec(shape: $0) }
    }

    public var weightHandles: [ParameterHandle] { [] }

    public func build(inputShape: [Int], weights: inout WeightAllocator) throws -> [Int] {
        try engine.build(
            layer: name, className: className, inputShape: inputShape, pool: poolSize, strides: strides,
            padding: padding)
    }

    public func forward(_ x: Tensor, context: LayerContext) -> Tensor { engine.forward(x, context: context) }

    /// Backward needs only the window positions (max) or the geometry (average), not the pooled values.
    public var backwardReadsOutput: Bool { false }
    /// Nor the input: the model may lend its memory until this layer's backward (rule 6).
    public var backwardReadsInput: Bool { false }

    public func backward(_ dy: Tensor, context: LayerContext) -> Tensor { engine.backward(dy, context: context) }

    public var config: [String: JSONValue] {
        WindowPooling.config(poolSize: [poolSize.0, poolSize.1], strides: [strides.0, strides.1], padding: padding)
    }
}

extension MaxPooling2D: ConfigurableLayer {
    public static let kerasClassName = "MaxPooling2D"
    public convenience init(config c: LayerConfig) throws {
        let v = try WindowPooling.configValues(c, size: c.pair, defaultPool: (2, 2))
        self.init(poolSize: v.pool, strides: v.strides, padding: v.padding, inputShape: v.inputShape)
    }
}
