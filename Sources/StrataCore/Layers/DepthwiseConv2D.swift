/// Keras `DepthwiseConv2D(kernel_size)`: each input channel convolved with its own `depth_multiplier` filters,
/// `y[n, oy, ox, c*m + j] = activation(bias[c*m + j] + sum_{ky,kx} x[n, oy*sh - pt + ky*dh, ox*sw - pl + kx*dw, c]
/// * kernel[ky, kx, c, j])`. Kernel `(kh, kw, in, depth_multiplier)`, bias `(in * depth_multiplier,)`; padding as
/// `Conv2D`'s. Computed by `DepthwiseSeparableConvolution`; keras/src/layers/convolutional/depthwise_conv2d.py.
public final class DepthwiseConv2D: DepthwiseSeparableLayer<(Int, Int)> {
    public init(
        kernelSize: (Int, Int), strides: (Int, Int) = (1, 1), padding: Padding = .valid, depthMultiplier: Int = 1,
        dilationRate: (Int, Int) = (1, 1), activation: ActivationFunction = .linear, useBias: Bool = true,
        depthwiseInitializer: Initializer = .glorotUniform, biasInitializer: Initializer = .zeros,
        inputShape: [Int]? = nil, batchSize: Int? = nil, batchInputShape: [Int]? = nil, name: String = ""
    ) {
        super.init(
            className: "DepthwiseConv2D", spatialRank: 2, pair: { $0 }, filters: nil, kernelSize: kernelSize, strides: strides,
            padding: padding, depthMultiplier: depthMultiplier, dilationRate: dilationRate, activation: activation, useBias: useBias,
            depthwiseInitializer: depthwiseInitializer, pointwiseInitializer: nil, biasInitializer: biasInitializer,
            inputShape: inputShape, batchSize: batchSize, batchInputShape: batchInputShape, name: name)
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

extension DepthwiseConv2D {
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
