/// The Keras config arguments of the convolution variants (Conv1DTranspose/Conv2DTranspose, DepthwiseConv2D,
/// SeparableConv1D/2D), read after the shared `checkArguments`: each variant names its kernels (`kernel`, or
/// `depthwise` and `pointwise`), whose `<name>_initializer`, `<name>_regularizer` and `<name>_constraint` it reads
/// (the first kernel in `WeightRegularization`'s kernel slot, `pointwise` in its own), and says whether it takes `filters`, `output_padding` and `depth_multiplier`.
struct ConvolutionArguments<Size> {
    let filters: Int
    let kernelSize: Size
    let strides: Size?
    let padding: Padding
    let dilationRate: Size?
    let outputPadding: Size?
    let depthMultiplier: Int
    let activation: ActivationFunction
    let useBias: Bool
    /// By kernel name (`kernel`, `depthwise`, `pointwise`), then `bias`.
    let initializers: [String: Initializer]
    /// The kernels', bias's and output's regularizers and constraints.
    let regularization: WeightRegularization
    let inputShape: [Int]?, batchSize: Int?, batchInputShape: [Int]?

    init(
        _ c: LayerConfig, size: (String) throws -> Size?, sizeText: String, kernels: [String], takesFilters: Bool,
        takesOutputPadding: Bool = false, takesDepthMultiplier: Bool = false
    ) throws {
        var supported: Set<String> = ["kernel_size", "strides", "padding", "dilation_rate", "activation", "use_bias", "bias_initializer"]
        if takesFilters { supported.insert("filters") }
        if takesOutputPadding { supported.insert("output_padding") }
        if takesDepthMultiplier { supported.insert("depth_multiplier") }
        for k in kernels { supported.insert(k + "_initializer") }
        let pointwise = kernels.contains("pointwise")
        supported.formUnion(WeightRegularization.keys(kernel: kernels[0], pointwise: pointwise))
        try c.checkArguments(supported, unsupported: [LayerConfig.channelsLast])
        regularization = try WeightRegularization(config: c, kernel: kernels[0])
        let io = try c.inputArguments()
        (inputShape, batchSize, batchInputShape) = (io.inputShape, io.batchSize, io.batchInputShape)
        guard let k = try size("kernel_size") else { throw c.fail("kernel_size", "\(sizeText) (it is required)") }
        kernelSize = k
        filters = takesFilters ? try c.requiredInt("filters") : 0
        strides = try size("strides")
        padding = try c.padding()
        dilationRate = try size("dilation_rate")
        outputPadding = try size("output_padding")
        depthMultiplier = try c.int("depth_multiplier") ?? 1
        activation = try c.activation()
        useBias = try c.bool("use_bias") ?? true
        var inits: [String: Initializer] = ["bias": try c.initializer("bias_initializer", default: .zeros)]
        for k in kernels { inits[k] = try c.initializer(k + "_initializer", default: .glorotUniform) }
        initializers = inits
    }

    /// The input information, resolved as `InputSpec.resolve` does for every first layer.
    func inputSpec(layer: String) -> Result<InputSpec?, StrataError> {
        InputSpec.resolve(layer: layer, inputShape: inputShape, inputDim: nil, batchSize: batchSize, batchInputShape: batchInputShape)
    }
}
