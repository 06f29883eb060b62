/// The computation shared by `Conv2DTranspose` and `Conv1DTranspose` (a 1-D input is a 2-D one of height 1): the
/// gradient of a convolution with respect to its input, as TensorFlow's `conv_transpose` computes it.
///
/// Seen from the convolution it transposes, our OUTPUT `(oh, ow, filters)` is that convolution's input and our
/// input `(h, w, in)` its output, so the existing im2col machinery (`Im2Col`, `WindowGeometry` with `channels =
/// filters`) serves as is, with the kernel `(kh, kw, filters, in)` seen as `K (kh*kw*filters, in)`:
/// forward `Z = bias + col2im(X · Kᵀ)`, `Y = activation(Z)`; backward `dK += im2col(dZ)ᵀ · X`,
/// `dX = im2col(dZ) · K`, `db += sum dZ`. Chunks of input positions bound the packed buffer (`packingBudget`).
///
/// Output length per axis (keras/src/utils/conv_utils.py `deconv_output_length`, `k' = d (k - 1) + 1`): without
/// `output_padding`, `valid` gives `n s + max(k' - s, 0)` and `same` gives `n s`; with it,
/// `(n - 1) s + k' - 2 pad + output_padding`, `pad = k' / 2` for `same`, 0 for `valid`. The padding split is
/// TensorFlow's for a convolution of that length (`Padding`).
final class TransposedConvolution {
    let spatialRank: Int
    let filters: Int
    var geometry = WindowGeometry(height: .unit(), width: .unit(), channels: 1)
    var kernel: ParameterHandle?
    var bias: ParameterHandle?
    /// The layer's regularizers and constraints, given to its weights in `build`.
    var regularization = WeightRegularization()
    private(set) var outputShape: [Int] = []
    /// Upper bound on the scalars of one packed chunk (as `Convolution.packingBudget`); tests lower it.
    var packingBudget = 1 << 20 { didSet { packingBudget = max(1, packingBudget) } }
    private var tail: ConvolutionOutput
    enum Slot { case inputGradient, patches }
    private var workspace = Workspace<Slot>()
    private var lastInput: Tensor?

    init(spatialRank: Int, filters: Int, activation: ActivationFunction) {
        self.spatialRank = spatialRank
        self.filters = filters
        tail = ConvolutionOutput(activation: activation)
    }

    /// One axis: the transposed output length for input length `n`, then the convolution geometry over it, whose
    /// output must come back to `n` (an even kernel with `same` and `output_padding = 0` does not: TF refuses it too).
    static func axis(
        layer: String, axis: String, input n: Int, kernel k: Int, stride s: Int, dilation d: Int, padding: Padding,
        outputPadding op: Int?
    ) throws -> WindowAxis {
        guard k >= 1, s >= 1, d >= 1 else {
            throw StrataError.invalidModel(
                layer: layer, "kernel size \(k), stride \(s) and dilation \(d) along \(axis) must be positive",
                hint: "use positive kernel sizes, strides and dilation rates")
        }
        let span = d * (k - 1) + 1
        let length: Int
        if let op {
            guard op >= 0, op < s else {
                throw StrataError.invalidModel(
                    layer: layer, "output_padding \(op) along \(axis) must be at least 0 and less than the stride \(s)",
                    hint: "Keras requires 0 <= output_padding < strides")
            }
            length = (n - 1) * s + span - 2 * (padding == .same ? span / 2 : 0) + op
        } else {
            length = padding == .valid ? n * s + max(span - s, 0) : n * s
        }
        guard length >= 1 else {
            throw StrataError.invalidModel(
                layer: layer, "the output along \(axis) would have length \(length)",
                hint: "use a larger input, kernel or output_padding")
        }
        let a = try WindowAxis.make(layer: layer, axis: axis, input: length, window: k, stride: s, dilation: d, padding: padding)
        guard a.output == n else {
            throw StrataError.invalidModel(
                layer: layer,
                "output length \(length) along \(axis) does not map back to the input length \(n) (kernel \(k), stride \(s), padding \"\(padding.rawValue)\", output_padding \(op.map(String.init) ?? "None"))",
                hint: "TensorFlow refuses this too: use an odd kernel size or a different output_padding")
        }
        return a
    }

    /// Checks the hyperparameters against `inputShape`, sets the geometry and declares `kernel`
    /// `(kh, kw, filters, in)` (1-D: `(k, filters, in)`) and `bias`; sizes are `(height, width)`, 1 for a 1-D height.
    func build(
        layer: String, className: String, inputShape: [Int], kernelSize: (Int, Int), strides: (Int, Int),
        dilationRate: (Int, Int), padding: Padding, outputPadding: (Int, Int)?, useBias: Bool,
        kernelInitializer: Initializer, biasInitializer: Initializer, weights: inout WeightAllocator
    ) throws -> [ParameterHandle] {
        let oneD = spatialRank == 1
        try ConvolutionVariantChecks.check(
            layer: layer, className: className, spatialRank: spatialRank, filters: filters, inputShape: inputShape,
            padding: padding, strides: strides, dilationRate: dilationRate)
        let h =
            oneD
            ? WindowAxis.unit()
            : try Self.axis(
                layer: layer, axis: "height (input \(inputShape))", input: inputShape[0], kernel: kernelSize.0,
                stride: strides.0, dilation: dilationRate.0, padding: padding, outputPadding: outputPadding?.0)
        let w = try Self.axis(
            layer: layer, axis: "\(oneD ? "steps" : "width") (input \(inputShape))", input: inputShape[spatialRank - 1],
            kernel: kernelSize.1, stride: strides.1, dilation: dilationRate.1, padding: padding,
            outputPadding: outputPadding?.1)
        let channels = inputShape[spatialRank]
        geometry = WindowGeometry(height: h, width: w, channels: filters)
        let window = oneD ? [kernelSize.1] : [kernelSize.0, kernelSize.1]
        let k = weights.add(
            "kernel", shape: window + [filters, channels], initializer: kernelInitializer, regularization: regularization, slot: .kernel)
        kernel = k
        var handles = [k]
        if useBias {
            let b = weights.add(
                "bias", shape: [filters], initializer: biasInitializer, regularization: regularization, slot: .bias)
            bias = b
            handles.append(b)
        }
        outputShape = (oneD ? [w.input] : [h.input, w.input]) + [filters]
        return handles
    }

    /// Keras's `get_config()` of a transposed convolution (sizes as lists, one entry per spatial axis).
    static func config(
        filters: Int, kernelSize: [Int], strides: [Int], padding: Padding, outputPadding: [Int]?, dilationRate: [Int],
        activation: ActivationFunction, useBias: Bool
    ) -> [String: JSONValue] {
        [
            "filters": JSONValue(filters), "kernel_size": JSONValue(kernelSize), "strides": JSONValue(strides),
            "padding": .string(padding.rawValue), "output_padding": outputPadding.map { JSONValue($0) } ?? .null,
            "data_format": "channels_last", "dilation_rate": JSONValue(dilationRate),
            "activation": .string(activation.kerasName), "use_bias": .bool(useBias),
        ]
    }

    /// Input positions per chunk: as many as keep `rows x patch` within the budget.
    private func chunkRows(_ positions: Int) -> Int { max(1, min(positions, packingBudget / max(1, geometry.patchSize))) }

    func forward(_ x: Tensor, context: LayerContext) -> Tensor {
        let batch = x.shape.first ?? 0
        let positions = batch * geometry.outputPositions, patch = geometry.patchSize
        let cin = x.count / max(1, positions)
        let z = tail.preActivation([batch] + outputShape)
        let k = context.parameters.value(kernel!)
        if let bias {
            Kernels.fillRows(z, with: context.parameters.value(bias), rows: z.count / filters, cols: filters)
        } else {
            z.fill(0)
        }
        lastInput = x
        let x2 = x.view([positions, cin])
        let chunk = chunkRows(positions)
        let cols = context.scratch([chunk, patch], sharedSlot: .patches, workspace: &workspace, slot: .patches)
        var r0 = 0
        while r0 < positions {
            let m = min(chunk, positions - r0)
            BLAS.gemm(x2.rows(r0..<(r0 + m)), rowsA: m, colsA: cin, k, rowsB: patch, colsB: cin, transB: true, into: cols)
            Im2Col.unpackAdd(cols, geometry, firstRow: r0, rows: m, into: z)
            r0 += m
        }
        return tail.output()
    }

    func backward(_ dy: Tensor, context: LayerContext) -> Tensor {
        let x = lastInput!
        let batch = x.shape.first ?? 0
        let positions = batch * geometry.outputPositions, patch = geometry.patchSize
        let cin = x.count / max(1, positions)
        let p = context.parameters
        let dz = tail.gradient(dy, channels: filters, bias: bias.map { p.gradient($0) }, context: context)
        let k = p.value(kernel!), dk = p.gradient(kernel!)
        let needsDx = context.needsInputGradient
        let dx =
            needsDx
            ? context.inputGradient(x.shape, dy: dy, workspace: &workspace, slot: .inputGradient)
            : workspace.buffer(.inputGradient, [0])
        let x2 = x.view([positions, cin]), dx2 = needsDx ? dx.view([positions, cin]) : dx
        let chunk = chunkRows(positions)
        let cols = context.scratch([chunk, patch], sharedSlot: .patches, workspace: &workspace, slot: .patches)
        var r0 = 0
        while r0 < positions {
            let m = min(chunk, positions - r0)
            let rows = r0..<(r0 + m)
            Im2Col.pack(dz, geometry, firstRow: r0, rows: m, into: cols)
            BLAS.gemm(cols, rowsA: m, colsA: patch, transA: true, x2.rows(rows), rowsB: m, colsB: cin, into: dk, beta: 1)
            if needsDx { BLAS.gemm(cols, rowsA: m, colsA: patch, k, rowsB: patch, colsB: cin, into: dx2.rows(rows)) }
            r0 += m
        }
        return dx
    }
}
