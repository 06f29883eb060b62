/// Keras `Conv2DTranspose(filters, kernel_size)`: the transpose (input gradient) of a channels-last `Conv2D`,
/// `y[n, i*sh - pt + ky*dh, j*sw - pl + kx*dw, f] += x[n, i, j, c] * kernel[ky, kx, f, c]` summed over `(i, j, ky,
/// kx, c)`, then `activation(y + bias[f])`; positions falling in the padding are dropped. Kernel
/// `(kh, kw, filters, in)` (Keras's layout: output channels before input channels), bias `(filters,)`, glorot
/// fans `fan_in = kh*kw*filters`, `fan_out = kh*kw*in`. Output size and padding: `TransposedConvolution`.
/// keras/src/layers/convolutional/conv2d_transpose.py, TF `conv2d_transpose`.
public final class Conv2DTranspose: TransposedConvolutionLayer<(Int, Int)> {
    public init(
        _ filters: Int, kernelSize: (Int, Int), strides: (Int, Int) = (1, 1), padding: Padding = .valid,
        outputPadding: (Int, Int)? = nil, dilationRate: (Int, Int) = (1, 1), activation: ActivationFunction = .linear,
        useBias: Bool = true, kernelInitializer: Initializer = .glorotUniform, biasInitializer: Initializer = .zeros,
        inputShape: [Int]? = nil, batchSize: Int? = nil, batchInputShape: [Int]? = nil, name: String = ""
    ) {
        super.init(
            className: "Conv2DTranspose", spatialRank: 2, pair: { $0 }, filters: filters, kernelSize: kernelSize, strides: strides,
            padding: padding, outputPadding: outputPadding, dilationRate: dilationRate, activation: activation, useBias: useBias,
            kernelInitializer: kernelInitializer, biasInitializer: biasInitializer, inputShape: inputShape, batchSize: batchSize,
            batchInputShape: batchInputShape, name: name)
    }
}

extension Conv2DTranspose: ConfigurableLayer {
    public static let kerasClassName = "Conv2DTranspose"
    public convenience init(config c: LayerConfig) throws {
        let v = try ConvolutionArguments(
            c, size: c.pair, sizeText: "two integers", kernels: ["kernel"], takesFilters: true, takesOutputPadding: true)
        self.init(
            v.filters, kernelSize: v.kernelSize, strides: v.strides ?? (1, 1), padding: v.padding,
            outputPadding: v.outputPadding, dilationRate: v.dilationRate ?? (1, 1), activation: v.activation,
            useBias: v.useBias, kernelInitializer: v.initializers["kernel"]!, biasInitializer: v.initializers["bias"]!,
            inputShape: v.inputShape, batchSize: v.batchSize, batchInputShape: v.batchInputShape)
        regularization = v.regularization
    }
}

extension Conv2DTranspose: WeightRegularizable {}
