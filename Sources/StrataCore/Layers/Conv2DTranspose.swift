/// Keras `Conv2DTranspose(filters, kernel_size)`: the transpose (input gradient) of a channels-last `Conv2D`,
/// `y[n, i*sh - pt + ky*dh, j*sw - pl + kx*dw, f] += x[n, i, j, c] * kernel[ky, kx, f, c]` summed over `(i, j, ky,
/// kx, c)`, then `activation(y + bias[f])`; positions falling in the padding are dropped. Kernel
/// `(kh, kw, filters, in)` (Keras's layout: output channels before input channels), bias `(filters,)`, glorot
/// fans `fan_in = kh*kw*filters`, `fan_out = kh*kw*in`. Output size and padding: `TransposedConvolution`.
/// keras/src/layers/convolutional/conv2d_transpose.py, TF `conv2d_transpose`.
public final class Conv2DTranspose: Layer {
    public let className = "Conv2DTranspose"
    public var name: String
    public let filters: Int
    public let kernelSize: (Int, Int)
    public let strides: (Int, Int)
    public let padding: Padding
    public let outputPadding: (Int, Int)?
    public let dilationRate: (Int, Int)
    public let activation: ActivationFunction
    public let useBias: Bool
    public let kernelInitializer: Initializer
    public let biasInitializer: Initializer
    public let inputSpec: InputSpec?
    public let inputError: StrataError?
    private let engine: TransposedConvolution
    public private(set) var weightHandles: [ParameterHandle] = []
    /// Keras's regularizers and constraints (`kernel_*`, `bias_*`, `activity_regularizer`), set before the model is built.
    public var regularization = WeightRegularization()

    /// Upper bound on the scalars of one packed chunk (memory versus GEMM size); tests lower it to force chunking.
    public var packingBudget: Int {
        get { engine.packingBudget }
        set { engine.packingBudget = newValue }
    }

    public init(
        _ filters: Int, kernelSize: (Int, Int), strides: (Int, Int) = (1, 1), padding: Padding = .valid,
        outputPadding: (Int, Int)? = nil, dilationRate: (Int, Int) = (1, 1), activation: ActivationFunction = .linear,
        useBias: Bool = true, kernelInitializer: Initializer = .glorotUniform, biasInitializer: Initializer = .zeros,
        inputShape: [Int]? = nil, batchSize: Int? = nil, batchInputShape: [Int]? = nil, name: String = ""
    ) {
        self.filters = filters
        self.kernelSize = kernelSize
        self.strides = strides
        self.padding = padding
        self.outputPadding = outputPadding
        self.dilationRate = dilationRate
        self.activation = activation
        self.useBias = useBias
        self.kernelInitializer = kernelInitializer
        self.biasInitializer = biasInitializer
        self.name = name
        engine = TransposedConvolution(spatialRank: 2, filters: filters, activation: activation)
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
            layer: name, className: className, inputShape: inputShape, kernelSize: kernelSize, strides: strides,
            dilationRate: dilationRate, padding: padding, outputPadding: outputPadding, useBias: useBias,
            kernelInitializer: kernelInitializer, biasInitializer: biasInitializer, weights: &weights)
        return engine.outputShape
    }

    public func forward(_ x: Tensor, context: LayerContext) -> Tensor { engine.forward(x, context: context) }

    public func backward(_ dy: Tensor, context: LayerContext) -> Tensor { engine.backward(dy, context: context) }

    public var config: [String: JSONValue] {
        TransposedConvolution.config(
            filters: filters, kernelSize: [kernelSize.0, kernelSize.1], strides: [strides.0, strides.1],
            padding: padding, outputPadding: outputPadding.map { [$0.0, $0.1] },
            dilationRate: [dilationRate.0, dilationRate.1], activation: activation, useBias: useBias
        ).merging(regularization.config(kernel: "kernel")) { a, _ in a }
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
