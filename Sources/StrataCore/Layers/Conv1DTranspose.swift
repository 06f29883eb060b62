/// Keras `Conv1DTranspose(filters, kernel_size)`: the transpose of a channels-last `Conv1D` over `(steps,
/// channels)`, `y[n, i*s - p + k*d, f] += x[n, i, c] * kernel[k, f, c]`, then `activation(y + bias[f])`. Kernel
/// `(k, filters, in)`, bias `(filters,)`. The same computation as `Conv2DTranspose` with height 1
/// (keras/src/layers/convolutional/conv1d_transpose.py).
public final class Conv1DTranspose: Layer {
    public let className = "Conv1DTranspose"
    public var name: String
    public let filters: Int
    public let kernelSize: Int
    public let strides: Int
    public let padding: Padding
    public let outputPadding: Int?
    public let dilationRate: Int
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
        _ filters: Int, kernelSize: Int, strides: Int = 1, padding: Padding = .valid, outputPadding: Int? = nil,
        dilationRate: Int = 1, activation: ActivationFunction = .linear, useBias: Bool = true,
        kernelInitializer: Initializer = .glorotUniform, biasInitializer: Initializer = .zeros,
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
        engine = TransposedConvolution(spatialRank: 1, filters: filters, activation: activation)
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
            layer: name, className: className, inputShape: inputShape, kernelSize: (1, kernelSize),
            strides: (1, strides), dilationRate: (1, dilationRate), padding: padding,
            outputPadding: outputPadding.map { (0, $0) }, useBias: useBias, kernelInitializer: kernelInitializer,
            biasInitializer: biasInitializer, weights: &weights)
        return engine.outputShape
    }

    public func forward(_ x: Tensor, context: LayerContext) -> Tensor { engine.forward(x, context: context) }

    public func backward(_ dy: Tensor, context: LayerContext) -> Tensor { engine.backward(dy, context: context) }

    public var config: [String: JSONValue] {
        TransposedConvolution.config(
            filters: filters, kernelSize: [kernelSize], strides: [strides], padding: padding,
            outputPadding: outputPadding.map { [$0] }, dilationRate: [dilationRate], activation: activation,
            useBias: useBias
        ).merging(regularization.config(kernel: "kernel")) { a, _ in a }
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
