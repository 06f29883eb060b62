/// Keras `MaxPooling1D(pool_size)`: the maximum over each channel of `pool_size` windows of `(steps, channels)`
/// samples; `strides` default to the pool size; padding `valid` (drops the remainder) or `same` (TensorFlow's
/// split, padded positions ignored); the gradient goes to the first maximum, as TensorFlow's MaxPoolGrad.
/// Shares `WindowPooling` with the 2-D layer (height 1). keras/src/layers/pooling/max_pooling1d.py.
public final class MaxPooling1D: Layer {
    public let className = "MaxPooling1D"
    public var name: String
    public let poolSize: Int
    public let strides: Int
    public let padding: Padding
    public let inputSpec: InputSpec?
    private let engine = WindowPooling(kind: .max, spatialRank: 1)

    public init(poolSize: Int = 2, strides: Int? = nil, padding: Padding = .valid, inputShape: [Int]? = nil, name: String = "") {
        self.poolSize = poolSize
        self.strides = strides ?? poolSize
        self.padding = padding
        self.name = name
        inputSpec = inputShape.map { InputSpec(shape: $0) }
    }

    public var weightHandles: [ParameterHandle] { [] }

    public func build(inputShape: [Int], weights: inout WeightAllocator) throws -> [Int] {
        try engine.build(
            layer: name, className: className, inputShape: inputShape, pool: (1, poolSize), strides: (1, strides),
            padding: padding)
    }

    public func forward(_ x: Tensor, context: LayerContext) -> Tensor { engine.forward(x, context: context) }

    /// Backward needs only the window positions (max) or the geometry (average), not the pooled values.
    public var backwardReadsOutput: Bool { false }
    /// Nor the input: the model may lend its memory until this layer's backward (rule 6).
    public var backwardReadsInput: Bool { false }

    public func backward(_ dy: Tensor, context: LayerContext) -> Tensor { engine.backward(dy, context: context) }

    public var config: [String: JSONValue] { WindowPooling.config(poolSize: [poolSize], strides: [strides], padding: padding) }
}

extension MaxPooling1D: ConfigurableLayer {
    public static let kerasClassName = "MaxPooling1D"
    public convenience init(config c: LayerConfig) throws {
        let v = try WindowPooling.configValues(c, size: c.single, defaultPool: 2)
        self.init(poolSize: v.pool, strides: v.strides, padding: v.padding, inputShape: v.inputShape)
    }
}
