/// Keras `SeparableConv1D(filters, kernel_size)`: a depthwise convolution (each input channel with its own
/// `depth_multiplier` filters, no bias) followed by a pointwise 1x1 convolution to `filters` channels,
/// `y = activation(bias + pointwise(depthwise(x)))`. Weights in Keras's order: `depthwise_kernel`
/// `(k, in, depth_multiplier)`, `pointwise_kernel` `(1, in*depth_multiplier, filters)`,
/// `bias (filters,)`. Computed by `DepthwiseSeparableConvolution`;
/// keras/src/layers/convolutional/separable_conv1d.py.
public final class SeparableConv1D: Layer {
    public let className = "SeparableConv1D"
    public var name: String
    public let filters: Int
    public let kernelSize: Int
    public let strides: Int
    public let padding: Padding
    public let depthMultiplier: Int
    public let dilationRate: Int
    public let activation: ActivationFunction
    public let useBias: Bool
    public let depthwiseInitializer: Initializer
    public let pointwiseInitializer: Initializer
    public let biasInitializer: Initializer
    public let inputSpec: InputSpec?
    public let inputError: StrataError?
    private let engine: DepthwiseSeparableConvolution
    public private(set) var weightHandles: [ParameterHandle] = []
    /// Keras's `depthwise_*` (the kernel slot), `pointwise_*`, `bias_*` regularizers and constraints and
    /// `activity_regularizer`, set before the model is built.
    public var regularization = WeightRegularization()

    public init(
        _ filters: Int, kernelSize: Int, strides: Int = 1, padding: Padding = .valid, depthMultiplier: Int = 1,
        dilationRate: Int = 1, activation: ActivationFunction = .linear, useBias: Bool = true,
        depthwiseInitializer: Initializer = .glorotUniform, pointwiseInitializer: Initializer = .glorotUniform,
        biasInitializer: Initializer = .zeros, inputShape: [Int]? = nil, batchSize: Int? = nil,
        batchInputShape: [Int]? = nil, name: String = ""
    ) {
        self.filters = filters
        self.kernelSize = kernelSize
        self.strides = strides
        self.padding = padding
        self.depthMultiplier = depthMultiplier
        self.dilationRate = dilationRate
        self.activation = activation
        self.useBias = useBias
        self.depthwiseInitializer = depthwiseInitializer
        self.pointwiseInitializer = pointwiseInitializer
        self.biasInitializer = biasInitializer
        self.name = name
        engine = DepthwiseSeparableConvolution(
            spatialRank: 1, filters: filters, depthMultiplier: depthMultiplier, activation: activation)
        switch InputSpec.resolve(
            layer: name.isEmpty ? Self.kerasClassName : name, inputShape: inputShape, inputDim: nil, batchSize: batchSize,
            batchInputShape: batchInputShape)
        {
        case let .success(s): inputSpec = s; inputError = nil
        case let .failure(e): inputSpec = nil; inputError = e
        }
    }

    public func build(inputShape: [Int], weights: inout WeightAllocator) throws -> [Int] {
        if let inputError { throw inputError }
        engine.regularization = regularization
        weightHandles = try engine.build(
            layer: name, className: className, inputShape: inputShape, kernelSize: (1, kernelSize), strides: (1, strides),
            dilationRate: (1, dilationRate), padding: padding, useBias: useBias,
            initializers: ["depthwise": depthwiseInitializer, "pointwise": pointwiseInitializer, "bias": biasInitializer],
            weights: &weights)
        return engine.outputShape
    }

    public func forward(_ x: Tensor, context: LayerContext) -> Tensor { engine.forward(x, context: context) }

    public func backward(_ dy: Tensor, context: LayerContext) -> Tensor { engine.backward(dy, context: context) }

    public var config: [String: JSONValue] {
        DepthwiseSeparableConvolution.config(
            filters: filters, kernelSize: [kernelSize], strides: [strides], padding: padding, depthMultiplier: depthMultiplier,
            dilationRate: [dilationRate], activation: activation, useBias: useBias
        ).merging(regularization.config(kernel: "depthwise")) { a, _ in a }
    }
}

extension SeparableConv1D: ConfigurableLayer {
    public static let kerasClassName = "SeparableConv1D"
    public convenience init(config c: LayerConfig) throws {
        let v = try ConvolutionArguments(
            c, size: c.single, sizeText: "an integer", kernels: ["depthwise", "pointwise"], takesFilters: true,
            takesDepthMultiplier: true)
        self.init(
            v.filters, kernelSize: v.kernelSize, strides: v.strides ?? 1, padding: v.padding,
            depthMultiplier: v.depthMultiplier, dilationRate: v.dilationRate ?? 1, activation: v.activation,
            useBias: v.useBias, depthwiseInitializer: v.initializers["depthwise"]!,
            pointwiseInitializer: v.initializers["pointwise"]!, biasInitializer: v.initializers["bias"]!,
            inputShape: v.inputShape, batchSize: v.batchSize, batchInputShape: v.batchInputShape)
        regularization = v.regularization
    }
}

extension SeparableConv1D: SeparablyRegularizable {}
