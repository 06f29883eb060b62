/// Keras `DepthwiseConv2D(kernel_size)`: each input channel convolved with its own `depth_multiplier` filters,
/// `y[n, oy, ox, c*m + j] = activation(bias[c*m + j] + sum_{ky,kx} x[n, oy*sh - pt + ky*dh, ox*sw - pl + kx*dw, c]
/// * kernel[ky, kx, c, j])`. Kernel `(kh, kw, in, depth_multiplier)`, bias `(in * depth_multiplier,)`; padding as
/// `Conv2D`'s. Computed by `DepthwiseSeparableConvolution`; keras/src/layers/convolutional/depthwise_conv2d.py.
public final class DepthwiseConv2D: Layer {
    public let className = "DepthwiseConv2D"
    public var name: String
    public let kernelSize: (Int, Int)
    public let strides: (Int, Int)
    public let padding: Padding
    public let depthMultiplier: Int
    public let dilationRate: (Int, Int)
    public let activation: ActivationFunction
    public let useBias: Bool
    public let depthwiseInitializer: Initializer
    public let biasInitializer: Initializer
    public let inputSpec: InputSpec?
    public let inputError: StrataError?
    private let engine: DepthwiseSeparableConvolution
    public private(set) var weightHandles: [ParameterHandle] = []
    /// Keras's `depthwise_*` (the kernel slot) and `bias_*` regularizers and constraints and `activity_regularizer`,
    /// set before the model is built.
    public var regularization = WeightRegularization()

    public init(
        kernelSize: (Int, Int), strides: (Int, Int) = (1, 1), padding: Padding = .valid, depthMultiplier: Int = 1,
        dilationRate: (Int, Int) = (1, 1), activation: ActivationFunction = .linear, useBias: Bool = true,
        depthwiseInitializer: Initializer = .glorotUniform, biasInitializer: Initializer = .zeros,
        inputShape: [Int]? = nil, batchSize: Int? = nil, batchInputShape: [Int]? = nil, name: String = ""
    ) {
        self.kernelSize = kernelSize
        self.strides = strides
        self.padding = padding
        self.depthMultiplier = depthMultiplier
        self.dilationRate = dilationRate
        self.activation = activation
        self.useBias = useBias
        self.depthwiseInitializer = depthwiseInitializer
        self.biasInitializer = biasInitializer
        self.name = name
        engine = DepthwiseSeparableConvolution(spatialRank: 2, filters: nil, depthMultiplier: depthMultiplier, activation: activation)
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
            dilationRate: dilationRate, padding: padding, useBias: useBias,
            initializers: ["depthwise": depthwiseInitializer, "bias": biasInitializer], weights: &weights)
        return engine.outputShape
    }

    public func forward(_ x: Tensor, context: LayerContext) -> Tensor { engine.forward(x, context: context) }

    public func backward(_ dy: Tensor, context: LayerContext) -> Tensor { engine.backward(dy, context: context) }

    public var config: [String: JSONValue] {
        DepthwiseSeparableConvolution.config(
            filters: nil, kernelSize: [kernelSize.0, kernelSize.1], strides: [strides.0, strides.1], padding: padding,
            depthMultiplier: depthMultiplier, dilationRate: [dilationRate.0, dilationRate.1], activation: activation,
            useBias: useBias
        ).merging(regularization.config(kernel: "depthwise")) { a, _ in a }
    }
}

extension DepthwiseConv2D: ConfigurableLayer {
    public static let kerasClassName = "DepthwiseConv2D"
    public convenience init(config c: LayerConfig) throws {
        let v = try ConvolutionArguments(
            c, size: c.pair, sizeText: "two integers", kernels: ["depthwise"], takesFilters: false, takesDepthMultiplier: true)
        self.init(
            kernelSize: v.kernelSize, strides: v.strides ?? (1, 1), padding: v.padding, depthMultiplier: v.depthMultiplier,
            dilationRate: v.dilationRate ?? (1, 1), activation: v.activation, useBias: v.useBias,
            depthwiseInitializer: v.initializers["depthwise"]!, biasInitializer: v.initializers["bias"]!,
            inputShape: v.inputShape, batchSize: v.batchSize, batchInputShape: v.batchInputShape)
        regularization = v.regularization
    }
}

extension DepthwiseConv2D: RegularizationHolding {
    /// Keras's regularizer and constraint arguments, chained before the model is built:
    /// `DepthwiseConv2D(kernelSize: (3, 3)).regularized(depthwise: .l2(1e-4), depthwiseConstraint: .maxNorm())`.
    @discardableResult
    public func regularized(
        depthwise: Regularizer? = nil, bias: Regularizer? = nil, activity: Regularizer? = nil,
        depthwiseConstraint: Constraint? = nil, biasConstraint: Constraint? = nil
    ) -> Self {
        regularization = WeightRegularization(
            kernelRegularizer: depthwise, biasRegularizer: bias, activityRegularizer: activity, kernelConstraint: depthwiseConstraint,
            biasConstraint: biasConstraint)
        return self
    }
}
