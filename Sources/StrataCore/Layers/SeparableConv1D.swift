/// Keras `SeparableConv1D(filters, kernel_size)`: a depthwise convolution (each input channel with its own
/// `depth_multiplier` filters, no bias) followed by a pointwise 1x1 convolution to `filters` channels,
/// `y = activation(bias + pointwise(depthwise(x)))`. Weights in Keras's order: `depthwise_kernel`
/// `(k, in, depth_multiplier)`, `pointwise_kernel` `(1, in*depth_multiplier, filters)`,
/// `bias (filters,)`. Computed by `DepthwiseSeparableConvolution`;
/// keras/src/layers/convolutional/separable_conv1d.py.
public final class SeparableConv1D: DepthwiseSeparableLayer<Int> {
    public let filters: Int
    public let pointwiseInitializer: Initializer

    public init(
        _ filters: Int, kernelSize: Int, strides: Int = 1, padding: Padding = .valid, depthMultiplier: Int = 1,
        dilationRate: Int = 1, activation: ActivationFunction = .linear, useBias: Bool = true,
        depthwiseInitializer: Initializer = .glorotUniform, pointwiseInitializer: Initializer = .glorotUniform,
        biasInitializer: Initializer = .zeros, inputShape: [Int]? = nil, batchSize: Int? = nil,
        batchInputShape: [Int]? = nil, name: String = ""
    ) {
        self.filters = filters
        self.pointwiseInitializer = pointwiseInitializer
        super.init(
            className: "SeparableConv1D", spatialRank: 1, pair: { (1, $0) }, filters: filters, kernelSize: kernelSize, strides: strides,
            padding: padding, depthMultiplier: depthMultiplier, dilationRate: dilationRate, activation: activation, useBias: useBias,
            depthwiseInitializer: depthwiseInitializer, pointwiseInitializer: pointwiseInitializer, biasInitializer: biasInitializer,
            inputShape: inputShape, batchSize: batchSize, batchInputShape: batchInputShape, name: name)
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
