/// Keras `Conv1D(filters, kernel_size)`: channels-last 1-D cross-correlation over `(steps, channels)`,
/// `y[n, t, f] = activation(bias[f] + sum_{k,c} x[n, t*s - p + k*d, c] * kernel[k, c, f])`, zeros outside.
/// Kernel `(k, in, filters)`, bias `(filters,)`; padding `valid`, `same` (TensorFlow's split) or `causal`
/// (`d (k - 1)` zeros on the left). The same computation as `Conv2D`, with height 1
/// (keras/src/layers/convolutional/conv1d.py).
public final class Conv1D: Layer {
    public let className = "Conv1D"
    public var name: String
    public let filters: Int
    public let kernelSize: Int
    public let strides: Int
    public let padding: Padding
    public let dilationRate: Int
    public let activation: ActivationFunction
    public let useBias: Bool
    public let kernelInitializer: Initializer
    public let biasInitializer: Initializer
    public let inputSpec: InputSpec?
    public let inputError: StrataError?
    let engine: Convolution
    public private(set) var weightHandles: [ParameterHandle] = []

    /// Upper bound on the scalars of one im2col chunk (memory versus GEMM size); tests lower it to force chunking.
    public var packingBudget: Int {
        get { engine.packingBudget }
        set { engine.packingBudget = newValue }
    }

    /// Widest vector lanes of the direct stride-1 kernels (16 AVX-512, 8 AVX2; 0 = im2col + GEMM only): the CPU's
    /// widest by default, capped at it; tests set it to compare the paths.
    public var kernelLanes: Int {
        get { engine.kernelLanes }
        set { engine.kernelLanes = newValue }
    }

    public init(
        _ filters: Int, kernelSize: Int, strides: Int = 1, padding: Padding = .valid, dilationRate: Int = 1,
        activation: ActivationFunction = .linear, useBias: Bool = true,
        kernelInitializer: Initializer = .glorotUniform, biasInitializer: Initializer = .zeros,
        inputShape: [Int]? = nil, batchSize: Int? = nil, batchInputShape: [Int]? = nil, name: String = ""
    ) {
        self.filters = filters
        self.kernelSize = kernelSize
        self.strides = strides
        self.padding = padding
        self.dilationRate = dilationRate
        self.activation = activation
        self.useBias = useBias
        self.kernelInitializer = kernelInitializer
        self.biasInitializer = biasInitializer
        self.name = name
        engine = Convolution(spatialRank: 1, filters: filters, activation: activation)
        switch InputSpec.resolve(
            layer: name.isEmpty ? "Conv1D" : name, inputShape: inputShape, inputDim: nil,
            batchSize: batchSize, batchInputShape: batchInputShape)
        {
        case let .success(s): inputSpec = s; inputError = nil
        case let .failure(e): inputSpec = nil; inputError = e
        }
    }

    public func build(inputShape: [Int], weights: inout WeightAllocator) throws -> [Int] {
        if let inputError { throw inputError }
        weightHandles = try engine.build(
            layer: name, inputShape: inputShape, kernelSize: (1, kernelSize), strides: (1, strides),
            dilationRate: (1, dilationRate), padding: padding, useBias: useBias,
            kernelInitializer: kernelInitializer, biasInitializer: biasInitializer,
            weights: &weights)
        return engine.outputShape
    }

    /// Keras's kernel/bias/activity regularizers and kernel/bias constraints (set before the model is built).
    public var regularization: WeightRegularization {
        get { engine.regularization }
        set { engine.regularization = newValue }
    }

    public func forward(_ x: Tensor, context: LayerContext) -> Tensor { engine.forward(x, context: context) }

    /// Every activation but linear reads the output in backward.
    public var backwardReadsOutput: Bool { engine.backwardReadsOutput }

    public func backward(_ dy: Tensor, context: LayerContext) -> Tensor { engine.backward(dy, context: context) }

    public var config: [String: JSONValue] {
        Convolution.config(
            filters: filters, kernelSize: [kernelSize], strides: [strides], padding: padding,
            dilationRate: [dilationRate], activation: activation, useBias: useBias)
    }
}

extension Conv1D: WeightRegularizable {}

extension Conv1D: ConfigurableLayer {
    public static let kerasClassName = "Conv1D"
    public convenience init(config c: LayerConfig) throws {
        let v = try Convolution.ConfigValues(c, size: c.single, sizeText: "an integer")
        self.init(
            v.filters, kernelSize: v.kernelSize, strides: v.strides ?? 1, padding: v.padding,
            dilationRate: v.dilationRate ?? 1, activation: v.activation, useBias: v.useBias,
            kernelInitializer: v.kernelInitializer, biasInitializer: v.biasInitializer, inputShape: v.inputShape,
            batchSize: v.batchSize, batchInputShape: v.batchInputShape)
        regularization = v.regularization
    }
}
