/// Keras `UpSampling2D(size, interpolation)`: each sample `(height, width, channels)` resized to
/// `(height * sh, width * sw)`; `nearest` (default) gives `y[n, i, j, c] = x[n, i / sh, j / sw, c]`, `bilinear`
/// interpolates between the four nearest inputs with half-pixel centres (TF `resize_bilinear`). Computed by
/// `Upsampling`; keras/src/layers/reshaping/up_sampling2d.py.
public final class UpSampling2D: Layer {
    public let className = "UpSampling2D"
    public var name: String
    public let size: (Int, Int)
    public let interpolation: Interpolation
    public let inputSpec: InputSpec?
    private let engine: Upsampling

    public init(size: (Int, Int) = (2, 2), interpolation: Interpolation = .nearest, inputShape: [Int]? = nil, name: String = "") {
        self.size = size
        self.interpolation = interpolation
        self.name = name
        inputSpec = inputShape.map { InputSpec(shape: $0) }
        engine = Upsampling(spatialRank: 2, size: size, interpolation: interpolation)
    }

    public var weightHandles: [ParameterHandle] { [] }

    public func build(inputShape: [Int], weights: inout WeightAllocator) throws -> [Int] {
        try engine.build(layer: name, className: className, inputShape: inputShape)
    }

    public func forward(_ x: Tensor, context: LayerContext) -> Tensor { engine.forward(x, context: context) }

    /// Backward needs only the sizes, not the upsampled values.
    public var backwardReadsOutput: Bool { false }

    public func backward(_ dy: Tensor, context: LayerContext) -> Tensor { engine.backward(dy, context: context) }

    public var config: [String: JSONValue] {
        ["size": JSONValue([size.0, size.1]), "data_format": "channels_last", "interpolation": .string(interpolation.rawValue)]
    }
}

extension UpSampling2D: ConfigurableLayer {
    public static let kerasClassName = "UpSampling2D"
    public convenience init(config c: LayerConfig) throws {
        try c.checkArguments(["size", "interpolation"], unsupported: [LayerConfig.channelsLast])
        let name = try c.string("interpolation") ?? "nearest"
        guard let interpolation = Interpolation(rawValue: name) else {
            throw StrataError.invalidModel(
                layer: c.layerName, "UpSampling2D interpolation '\(name)' is not supported",
                hint: "Strata computes \"nearest\" and \"bilinear\"")
        }
        self.init(size: try c.pair("size") ?? (2, 2), interpolation: interpolation, inputShape: try c.inputArguments().inputShape)
    }
}
