/// Keras `Conv2D(filters, kernel_size)`: channels-last 2-D cross-correlation (no kernel flip),
/// `y[n, oy, ox, f] = activation(bias[f] + sum_{ky,kx,c} x[n, oy*sh - pt + ky*dh, ox*sw - pl + kx*dw, c] * kernel[ky, kx, c, f])`,
/// zeros outside the input. Kernel `(kh, kw, in, filters)`, bias `(filters,)`, glorot_uniform with Keras's fan
/// rule (`fan_in = kh*kw*in`, `fan_out = kh*kw*filters`). Padding per `Padding` (TensorFlow's split).
/// Computed as im2col + GEMM (`Convolution`); keras/src/layers/convolutional/base_conv.py.
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
    private let engine: Convolution
    private var outputShape: [Int] = []
    public private(set) var weightHandles: [ParameterHandle] = []

    /// Upper bound on the scalars of one im2col chunk (memory versus GEMM size); tests lower it to force chunking.
    public var packingBudget: Int {
        get { engine.packingBudget }
        set { engine.packingBudget = max(1, newValue) }
    }

    public init(_ filters: Int, kernelSize: (Int, Int), strides: (Int, Int) = (1, 1), padding: Padding = .valid,
                dilationRate: (Int, Int) = (1, 1), activation: ActivationFunction = .linear, useBias: Bool = true,
                kernelInitializer: Initializer = .glorotUniform, biasInitializer: Initializer = .zeros,
                inputShape: [Int]? = nil, batchSize: Int? = nil, batchInputShape: [Int]? = nil, name: String = "") {
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
        engine = Convolution(filters: filters, activation: activation)
        switch InputSpec.resolve(layer: name.isEmpty ? "Conv2D" : name, inputShape: inputShape, inputDim: nil,
                                 batchSize: batchSize, batchInputShape: batchInputShape) {
        case let .success(s): inputSpec = s; inputError = nil
        case let .failure(e): inputSpec = nil; inputError = e
        }
    }

    public func build(inputShape: [Int], weights: inout WeightAllocator) throws -> [Int] {
        if let inputError { throw inputError }
        guard filters > 0 else {
            throw StrataError.invalidModel(layer: name, "filters must be positive, got \(filters)", hint: "use e.g. Conv2D(32, kernelSize: (3, 3))")
        }
        guard inputShape.count == 3 else {
            throw StrataError.invalidModel(layer: name, "Conv2D needs samples of shape (height, width, channels), got \(inputShape)",
                                           hint: "give inputShape: [height, width, channels] (channels last), or use Conv1D for sequences")
        }
        guard padding != .causal else {
            throw StrataError.invalidModel(layer: name, "padding \"causal\" is only for Conv1D", hint: "use \"valid\" or \"same\"")
        }
        if (strides.0 > 1 || strides.1 > 1) && (dilationRate.0 > 1 || dilationRate.1 > 1) {
            throw StrataError.invalidModel(layer: name, "strides \(strides) and dilation rate \(dilationRate) are both above 1",
                                           hint: "Keras allows either strides > 1 or dilation_rate > 1, not both")
        }
        let h = try WindowAxis.make(layer: name, axis: "height (input \(inputShape))", input: inputShape[0], window: kernelSize.0,
                                    stride: strides.0, dilation: dilationRate.0, padding: padding)
        let w = try WindowAxis.make(layer: name, axis: "width (input \(inputShape))", input: inputShape[1], window: kernelSize.1,
                                    stride: strides.1, dilation: dilationRate.1, padding: padding)
        engine.geometry = WindowGeometry(height: h, width: w, channels: inputShape[2])
        let k = weights.add("kernel", shape: [kernelSize.0, kernelSize.1, inputShape[2], filters], initializer: kernelInitializer)
        engine.kernel = k
        weightHandles = [k]
        if useBias {
            let b = weights.add("bias", shape: [filters], initializer: biasInitializer)
            engine.bias = b
            weightHandles.append(b)
        }
        outputShape = [h.output, w.output, filters]
        return outputShape
    }

    public func forward(_ x: Tensor, context: LayerContext) -> Tensor {
        engine.forward(x, outputShape: outputShape, context: context)
    }

    public func backward(_ dy: Tensor, context: LayerContext) -> Tensor {
        engine.backward(dy, context: context)
    }

    public var config: [String: JSONValue] {
        ["filters": JSONValue(filters), "kernel_size": JSONValue([kernelSize.0, kernelSize.1]),
         "strides": JSONValue([strides.0, strides.1]), "padding": .string(padding.rawValue),
         "data_format": "channels_last", "dilation_rate": JSONValue([dilationRate.0, dilationRate.1]), "groups": 1,
         "activation": .string(activation.kerasName), "use_bias": .bool(useBias)]
    }
}
