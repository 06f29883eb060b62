/// Keras `Conv2D(filters, kernel_size)`: channels-last 2-D cross-correlation (no kernel flip),
/// `y[n, oy, ox, f] = activation(bias[f] + sum_{ky,kx,c} x[n, oy*sh - pt + ky*dh, ox*sw - pl + kx*dw, c] * kernel[ky, kx, c, f])`,
/// zeros outside the input. Kernel `(kh, kw, in, filters)`, bias `(filters,)`, glorot_uniform with Keras's fan
/// rule (`fan_in = kh*kw*in`, `fan_out = kh*kw*filters`). Padding per `Padding` (TensorFlow's split).
/// Computed by `Convolution` (direct kernels at stride 1, Winograd for most 3x3 ones, else im2col + GEMM);
/// keras/src/layers/convolutional/base_conv.py.
public final class Conv2D: Layer {
    public let className = "Conv2D"
    public var name: String
    public let filters: Int
    public let kernelSize: (Int, Int)
    public let strides: (Int, Int)
    public let padding: Padding
    public let dilationRate: (Int, Int)
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

    /// Whether a 3x3 stride-1 layer with 16+ channels and filters runs its forward and input gradient as Winograd
    /// F(2x2, 3x3) and its kernel gradient as F(3x3, 2x2) (`WinogradKernels`: 1.3-1.6x the direct kernels on the
    /// guide's layers, rounding a little differently); on by default unless the environment sets
    /// `STRATA_WINOGRAD=0`. Set false to force the direct kernels.
    public var winograd: Bool {
        get { engine.winograd }
        set { engine.winograd = newValue }
    }

    public init(
        _ filters: Int, kernelSize: (Int, Int), strides: (Int, Int) = (1, 1), padding: Padding = .valid,
        dilationRate: (Int, Int) = (1, 1), activation: ActivationFunction = .linear, useBias: Bool = true,
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
        engine = Convolution(spatialRank: 2, filters: filters, activation: activation)
        switch InputSpec.resolve(
            layer: name.isEmpty ? "Conv2D" : name, inputShape: inputShape, inputDim: nil,
            batchSize: batchSize, batchInputShape: batchInputShape)
        {
        case let .success(s): inputSpec = s; inputError = nil
        case let .failure(e): inputSpec = nil; inputError = e
        }
    }

    public func build(inputShape: [Int], weights: inout WeightAllocator) throws -> [Int] {
        if let inputError { throw inputError }
        weightHandles = try engine.build(
            layer: name, inputShape: inputShape, kernelSize: kernelSize, strides: strides,
            dilationRate: dilationRate, padding: padding, useBias: useBias,
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
            filters: filters, kernelSize: [kernelSize.0, kernelSize.1], strides: [strides.0, strides.1],
            padding: padding, dilationRate: [dilationRate.0, dilationRate.1], activation: activation,
            useBias: useBias
        ).merging(regularization.config) { a, _ in a }
    }
}

extension Conv2D: WeightRegularizable {}

extension Conv2D: ConfigurableLayer {
    public static let kerasClassName = "Conv2D"
    public convenience init(config c: LayerConfig) throws {
        let v = try Convolution.ConfigValues(c, size: c.pair, sizeText: "two integers")
        self.init(
            v.filters, kernelSize: v.kernelSize, strides: v.strides ?? (1, 1), padding: v.padding,
            dilationRate: v.dilationRate ?? (1, 1), activation: v.activation, useBias: v.useBias,
            kernelInitializer: v.kernelInitializer, biasInitializer: v.biasInitializer, inputShape: v.inputShape,
            batchSize: v.batchSize, batchInputShape: v.batchInputShape)
        regularization = v.regularization
    }
}
