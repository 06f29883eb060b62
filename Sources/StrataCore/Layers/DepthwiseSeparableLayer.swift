/// The public front `DepthwiseConv2D`, `SeparableConv2D` and `SeparableConv1D` share: Keras's arguments (sizes as
/// `Int` for 1-D, `(height, width)` for 2-D), the weights, the config and the regularizers; the computation is
/// `DepthwiseSeparableConvolution`'s, which sees a 1-D layer as a 2-D one of height 1. The separable layers add
/// `filters` and `pointwiseInitializer`.
public class DepthwiseSeparableLayer<Size>: Layer {
    public let className: String
    public var name: String
    public let kernelSize: Size
    public let strides: Size
    public let padding: Padding
    public let depthMultiplier: Int
    public let dilationRate: Size
    public let activation: ActivationFunction
    public let useBias: Bool
    public let depthwiseInitializer: Initializer
    public let biasInitializer: Initializer
    public let inputSpec: InputSpec?
    public let inputError: StrataError?
    let engine: DepthwiseSeparableConvolution
    public private(set) var weightHandles: [ParameterHandle] = []
    /// Keras's `depthwise_*` (the kernel slot), `pointwise_*` (separable layers), `bias_*` regularizers and
    /// constraints and `activity_regularizer`, set before the model is built.
    public var regularization = WeightRegularization()
    /// A size as `(height, width)`: `(1, k)` for a 1-D layer.
    private let pair: (Size) -> (Int, Int)
    private let initializers: [String: Initializer]

    init(
        className: String, spatialRank: Int, pair: @escaping (Size) -> (Int, Int), filters: Int?, kernelSize: Size, strides: Size,
        padding: Padding, depthMultiplier: Int, dilationRate: Size, activation: ActivationFunction, useBias: Bool,
        depthwiseInitializer: Initializer, pointwiseInitializer: Initializer?, biasInitializer: Initializer, inputShape: [Int]?,
        batchSize: Int?, batchInputShape: [Int]?, name: String
    ) {
        self.className = className
        self.pair = pair
        self.kernelSize = kernelSize
        self.strides = strides
        self.padding = padding
        self.depthMultiplier = depthMultiplier
        self.dilationRate = dilationRate
        self.activation = activation
        self.useBias = useBias
        self.depthwiseInitializer = depthwiseInitializer
        self.biasInitializer = biasInitializer
        self.name = name
        var inits = ["depthwise": depthwiseInitializer, "bias": biasInitializer]
        inits["pointwise"] = pointwiseInitializer
        initializers = inits
        engine = DepthwiseSeparableConvolution(
            spatialRank: spatialRank, filters: filters, depthMultiplier: depthMultiplier, activation: activation)
        switch InputSpec.resolve(
            layer: name.isEmpty ? className : name, inputShape: inputShape, inputDim: nil, batchSize: batchSize,
            batchInputShape: batchInputShape)
        {
        case let .success(s): inputSpec = s; inputError = nil
        case let .failure(e): inputSpec = nil; inputError = e
        }
    }

    /// A size in Keras's config form: `[k]` (1-D) or `[kh, kw]`.
    private func list(_ s: Size) -> [Int] {
        let p = pair(s)
        return engine.spatialRank == 1 ? [p.1] : [p.0, p.1]
    }

    public func build(inputShape: [Int], weights: inout WeightAllocator) throws -> [Int] {
        if let inputError { throw inputError }
        engine.regularization = regularization
        weightHandles = try engine.build(
            layer: name, className: className, inputShape: inputShape, kernelSize: pair(kernelSize), strides: pair(strides),
            dilationRate: pair(dilationRate), padding: padding, useBias: useBias, initializers: initializers, weights: &weights)
        return engine.outputShape
    }

    public func forward(_ x: Tensor, context: LayerContext) -> Tensor { engine.forward(x, context: context) }

    public func backward(_ dy: Tensor, context: LayerContext) -> Tensor { engine.backward(dy, context: context) }

    public var config: [String: JSONValue] {
        DepthwiseSeparableConvolution.config(
            filters: engine.filters, kernelSize: list(kernelSize), strides: list(strides), padding: padding,
            depthMultiplier: depthMultiplier, dilationRate: list(dilationRate), activation: activation, useBias: useBias
        ).merging(regularization.config(kernel: "depthwise")) { a, _ in a }
    }
}

extension DepthwiseSeparableLayer: RegularizationHolding {}
