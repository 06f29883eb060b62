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
    private let engine = WindowPooling(kind: .max)
    private var outputShape: [Int] = []

    public init(poolSize: Int = 2, strides: Int? = nil, padding: Padding = .valid, inputShape: [Int]? = nil, name: String = "") {
        self.poolSize = poolSize
        self.strides = strides ?? poolSize
        self.padding = padding
        self.name = name
        inputSpec = inputShape.map { InputSpec(shape: $0) }
    }

    public var weightHandles: [ParameterHandle] { [] }

    public func build(inputShape: [Int], weights: inout WeightAllocator) throws -> [Int] {
        guard inputShape.count == 2 else {
            throw StrataError.invalidModel(layer: name, "MaxPooling1D needs samples of shape (steps, channels), got \(inputShape)",
                                           hint: "use it after Conv1D, or use MaxPooling2D for images")
        }
        let (_, ow) = try engine.build(layer: name, height: 1, width: inputShape[0], channels: inputShape[1],
                                       pool: (1, poolSize), strides: (1, strides), padding: padding,
                                       axes: ("height", "steps (input \(inputShape))"))
        outputShape = [ow, inputShape[1]]
        return outputShape
    }

    public func forward(_ x: Tensor, context: LayerContext) -> Tensor { engine.forward(x, outputShape: outputShape) }

    public func backward(_ dy: Tensor, context: LayerContext) -> Tensor { engine.backward(dy) }

    public var config: [String: JSONValue] {
        ["pool_size": JSONValue([poolSize]), "strides": JSONValue([strides]), "padding": .string(padding.rawValue),
         "data_format": "channels_last"]
    }
}
