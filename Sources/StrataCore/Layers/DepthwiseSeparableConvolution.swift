/// The computation shared by `DepthwiseConv2D`, `SeparableConv2D` and `SeparableConv1D` (a 1-D input is a 2-D one
/// of height 1): a depthwise convolution (`DepthwiseConvKernels`: channel `c` convolved with its own
/// `depth_multiplier` filters, giving `in * depth_multiplier` channels), then for the separable layers a pointwise
/// 1x1 convolution as one GEMM, `Z = D · P + bias`, `P (in*depth_multiplier, filters)`; `Y = activation(Z)`.
/// Backward: `dP += Dᵀ · dZ`, `dD = dZ · Pᵀ`, then the depthwise kernel and input gradients. The depthwise layer's
/// bias has `in * depth_multiplier` entries; the separable layers' has `filters` and the depthwise half none
/// (keras/src/layers/convolutional/base_depthwise_conv.py, base_separable_conv.py; TF `separable_conv2d`).
final class DepthwiseSeparableConvolution {
    let spatialRank: Int
    /// Output channels of the pointwise half; nil for `DepthwiseConv2D`.
    let filters: Int?
    let depthMultiplier: Int
    var geometry = WindowGeometry(height: .unit(), width: .unit(), channels: 1)
    var depthwiseKernel: ParameterHandle?
    var pointwiseKernel: ParameterHandle?
    var bias: ParameterHandle?
    /// The layer's regularizers and constraints (depthwise kernel in the kernel slot), given to its weights in `build`.
    var regularization = WeightRegularization()
    private(set) var outputShape: [Int] = []
    private var tail: ConvolutionOutput
    enum Slot { case depthwise, depthwiseGradient, inputGradient }
    private var workspace = Workspace<Slot>()
    private var lastInput: Tensor?
    private var lastDepthwise: Tensor?

    init(spatialRank: Int, filters: Int?, depthMultiplier: Int, activation: ActivationFunction) {
        self.spatialRank = spatialRank
        self.filters = filters
        self.depthMultiplier = depthMultiplier
        tail = ConvolutionOutput(activation: activation)
    }

    /// Channels after the depthwise half.
    private var depthwiseChannels: Int { geometry.channels * depthMultiplier }
    /// Channels of the output.
    private var outputChannels: Int { filters ?? depthwiseChannels }

    /// Checks the hyperparameters against `inputShape`, sets the geometry and declares the weights in Keras's order:
    /// `DepthwiseConv2D` `kernel (kh, kw, in, m)`, `bias (in*m)`; separable `depthwise_kernel (kh, kw, in, m)`
    /// (1-D `(k, in, m)`), `pointwise_kernel (1, 1, in*m, filters)` (1-D `(1, in*m, filters)`), `bias (filters)`.
    func build(
        layer: String, className: String, inputShape: [Int], kernelSize: (Int, Int), strides: (Int, Int),
        dilationRate: (Int, Int), padding: Padding, useBias: Bool, initializers: [String: Initializer],
        weights: inout WeightAllocator
    ) throws -> [ParameterHandle] {
        let oneD = spatialRank == 1
        try ConvolutionVariantChecks.check(
            layer: layer, className: className, spatialRank: spatialRank, filters: filters, inputShape: inputShape,
            padding: padding, strides: strides, dilationRate: dilationRate)
        guard depthMultiplier > 0 else {
            throw StrataError.invalidModel(
                layer: layer, "depth_multiplier must be positive, got \(depthMultiplier)", hint: "use depthMultiplier: 1 or more")
        }
        let h =
            oneD
            ? WindowAxis.unit()
            : try WindowAxis.make(
                layer: layer, axis: "height (input \(inputShape))", input: inputShape[0], window: kernelSize.0,
                stride: strides.0, dilation: dilationRate.0, padding: padding)
        let w = try WindowAxis.make(
            layer: layer, axis: "\(oneD ? "steps" : "width") (input \(inputShape))", input: inputShape[spatialRank - 1],
            window: kernelSize.1, stride: strides.1, dilation: dilationRate.1, padding: padding)
        let channels = inputShape[spatialRank]
        geometry = WindowGeometry(height: h, width: w, channels: channels)
        let window = oneD ? [kernelSize.1] : [kernelSize.0, kernelSize.1]
        let depthwiseName = filters == nil ? "kernel" : "depthwise_kernel"
        let d = weights.add(
            depthwiseName, shape: window + [channels, depthMultiplier], initializer: initializers["depthwise"] ?? .glorotUniform,
            regularization: regularization, slot: .kernel)
        depthwiseKernel = d
        var handles = [d]
        if let filters {
            let p = weights.add(
                "pointwise_kernel", shape: [Int](repeating: 1, count: spatialRank) + [depthwiseChannels, filters],
                initializer: initializers["pointwise"] ?? .glorotUniform, regularization: regularization, slot: .pointwise)
            pointwiseKernel = p
            handles.append(p)
        }
        if useBias {
            let b = weights.add(
                "bias", shape: [outputChannels], initializer: initializers["bias"] ?? .zeros, regularization: regularization, slot: .bias)
            bias = b
            handles.append(b)
        }
        outputShape = (oneD ? [w.output] : [h.output, w.output]) + [outputChannels]
        return handles
    }

    func forward(_ x: Tensor, context: LayerContext) -> Tensor {
        let batch = x.shape.first ?? 0
        let positions = batch * geometry.outputPositions
        let p = context.parameters
        let z = tail.preActivation([batch] + outputShape)
        let b = bias.map { p.value($0) }
        lastInput = x
        if let pointwise = pointwiseKernel, let filters {
            let d = workspace.buffer(.depthwise, [positions, depthwiseChannels])
            DepthwiseConvKernels.forward(x, geometry, kernel: p.value(depthwiseKernel!), multiplier: depthMultiplier, bias: nil, into: d)
            lastDepthwise = d
            if let b { Kernels.fillRows(z, with: b, rows: positions, cols: filters) }
            BLAS.gemm(
                d, rowsA: positions, colsA: depthwiseChannels, p.value(pointwise), rowsB: depthwiseChannels, colsB: filters,
                into: z, beta: b == nil ? 0 : 1)
        } else {
            DepthwiseConvKernels.forward(x, geometry, kernel: p.value(depthwiseKernel!), multiplier: depthMultiplier, bias: b, into: z)
        }
        return tail.output()
    }

    func backward(_ dy: Tensor, context: LayerContext) -> Tensor {
        let x = lastInput!
        let batch = x.shape.first ?? 0
        let positions = batch * geometry.outputPositions
        let p = context.parameters
        let dz = tail.gradient(dy, channels: outputChannels, bias: bias.map { p.gradient($0) }, context: context)
        var dDepthwise = dz
        if let pointwise = pointwiseKernel, let filters {
            let d = lastDepthwise!
            BLAS.gemm(
                d, rowsA: positions, colsA: depthwiseChannels, transA: true, dz, rowsB: positions, colsB: filters,
                into: p.gradient(pointwise), beta: 1)
            dDepthwise = workspace.buffer(.depthwiseGradient, [positions, depthwiseChannels])
            BLAS.gemm(
                dz, rowsA: positions, colsA: filters, p.value(pointwise), rowsB: depthwiseChannels, colsB: filters,
                transB: true, into: dDepthwise)
        }
        let dx = context.needsInputGradient ? context.inputGradient(x.shape, dy: dy, workspace: &workspace, slot: .inputGradient) : nil
        DepthwiseConvKernels.backward(
            x, geometry, kernel: p.value(depthwiseKernel!), multiplier: depthMultiplier, dz: dDepthwise,
            kernelGradient: p.gradient(depthwiseKernel!), inputGradient: dx)
        return dx ?? workspace.buffer(.inputGradient, [0])
    }

    /// Keras's `get_config()` of the three layers; `filters` and the pointwise initializer only for the separable ones.
    static func config(
        filters: Int?, kernelSize: [Int], strides: [Int], padding: Padding, depthMultiplier: Int, dilationRate: [Int],
        activation: ActivationFunction, useBias: Bool
    ) -> [String: JSONValue] {
        var c: [String: JSONValue] = [
            "kernel_size": JSONValue(kernelSize), "strides": JSONValue(strides), "padding": .string(padding.rawValue),
            "depth_multiplier": JSONValue(depthMultiplier), "data_format": "channels_last",
            "dilation_rate": JSONValue(dilationRate), "activation": .string(activation.kerasName), "use_bias": .bool(useBias),
        ]
        if let filters { c["filters"] = JSONValue(filters) }
        return c
    }
}
