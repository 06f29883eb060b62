/// Keras `Conv1DTranspose(filters, kernel_size)`: the transpose of a channels-last `Conv1D` over `(steps,
/// channels)`, `y[n, i*s - p + k*d, f] += x[n, i, c] * kernel[k, f, c]`, then `activation(y + bias[f])`. Kernel
/// `(k, filters, in)`, bias `(filters,)`. The same computation as `Conv2DTranspose` with height 1
/// (keras/src/layers/convolutional/conv1d_transpose.py).
public final class Conv1DTranspose: TransposedConvolutionLayer<Int> {
    public init(
        _ filters: Int, kernelSize: Int, strides: Int = 1, padding: Padding = .valid, outputPadding: Int? = nil,
        dilationRate: Int = 1, activation: ActivationFunction = .linear, useBias: Bool = true,
        kernelInitializer: Initializer = .glorotUniform, biasInitializer: Initializer = .zeros,
        inputShape: [Int]? = nil, batchSize: Int? = nil, batchInputShape: [Int]? = nil, name: String = ""
    ) {
        super.init(
            className: "Conv1DTranspose", spatialRank: 1, pair: { (1, $0) }, filters: filters, kernelSize: kernelSize, strides: strides,
            padding: padding, outputPadding: outputPadding, dilationRate: dilationRate, activation: activation, useBias: useBias,
            kernelInitializer: kernelInitializer, biasInitializer: biasInitializer, inputShape: inputShape, batchSize: batchSize,
            batchInputShape: batchInputShape, name: name)
    }
}

extension Conv1DTranspose: ConfigurableLayer {
    public static let kerasClassName = "Conv1DTranspose"
    public convenience init(config c: LayerConfig) throws {
        let v = try ConvolutionArguments(
            c, size: c.single, sizeText: "an integer", kernels: ["kernel"], takesFilters: true, takesOutputPadding: true)
        self.init(
            v.filters, kernelSize: v.kernelSize, strides: v.strides ?? 1, padding: v.padding,
            outputPadding: v.outputPadding, dilationRate: v.dilationRate ?? 1, activation: v.activation,
            useBias: v.useBias, kernelInitializer: v.initializers["kernel"]!, biasInitializer: v.initializers["bias"]!,
            inputShape: v.inputShape, batchSize: v.batchSize, batchInputShape: v.batchInputShape)
        regularization = v.regularization
    }
}

extension Conv1DTranspose: WeightRegularizable {}
