/// The computation shared by `Conv2D` and `Conv1D` (a 1-D input is a 2-D one of height 1): a channels-last
/// cross-correlation done as im2col + GEMM.
///
/// Forward, per chunk of output positions: `Z[q, :] = cols[q, :] · K` with `K` the kernel seen as
/// `(kh*kw*in, filters)`, then `Y = activation(Z + bias)`. Backward: `dK += colsᵀ · dZ`, `db += sum_q dZ[q, :]`,
/// `dcols = dZ · Kᵀ` scattered back by col2im. Chunks hold at most `packingBudget` packed scalars (one GEMM per
/// chunk, spanning many samples when they are small); when the whole batch fits in one chunk, backward reuses
/// the forward's packing. Every buffer comes from a `Workspace`, so steady-state steps allocate nothing.
///
/// `build` holds the checks and weight layout the two layers share (Keras's rules, messages naming the layer's
/// class): a 1-D layer passes sizes as `(1, k)` and gets kernel `(k, in, filters)`; a 2-D one `(kh, kw, in, filters)`.
final class Convolution {
    /// 1 for `Conv1D` (samples `(steps, channels)`), 2 for `Conv2D` (samples `(height, width, channels)`).
    let spatialRank: Int
    let filters: Int
    let activation: ActivationFunction
    var geometry: WindowGeometry
    var kernel: ParameterHandle?
    var bias: ParameterHandle?
    /// The per-sample output shape set by `build` (channels last).
    private(set) var outputShape: [Int] = []
    /// Upper bound on the scalars of one im2col chunk: 1 Mi scalars (4 MiB), which measured faster than 4 Mi on the
    /// guide's VGG-like model (packed rows stay in cache between packing and GEMM) and bounds memory per layer.
    var packingBudget: Int

    private var workspace = Workspace()
    private var lastInput: Tensor?
    private var lastZ: Tensor?
    private var lastY: Tensor?
    private var packedWholeBatch = false

    init(spatialRank: Int, filters: Int, activation: ActivationFunction, packingBudget: Int = 1 << 20) {
        self.spatialRank = spatialRank
        self.filters = filters
        self.activation = activation
        self.packingBudget = packingBudget
        geometry = WindowGeometry(height: .unit(), width: .unit(), channels: 1)
    }

    /// Checks the hyperparameters against the sample shape `inputShape`, sets the geometry and adds `kernel` (and,
    /// with `useBias`, `bias`) to `weights`; returns the handles in Keras's order. Sizes are `(height, width)`; a 1-D
    /// layer passes 1 for the height entries (its height is one position with no window).
    func build(layer: String, inputShape: [Int], kernelSize: (Int, Int), strides: (Int, Int), dilationRate: (Int, Int),
               padding: Padding, useBias: Bool, kernelInitializer: Initializer, biasInitializer: Initializer,
               weights: inout WeightAllocator) throws -> [ParameterHandle] {
        let oneD = spatialRank == 1
        guard filters > 0 else {
            throw StrataError.invalidModel(layer: layer, "filters must be positive, got \(filters)",
                                           hint: oneD ? "use e.g. Conv1D(64, kernelSize: 3)" : "use e.g. Conv2D(32, kernelSize: (3, 3))")
        }
        guard inputShape.count == spatialRank + 1 else {
            throw oneD
                ? StrataError.invalidModel(layer: layer, "Conv1D needs samples of shape (steps, channels), got \(inputShape)",
                                           hint: "give inputShape: [steps, channels], or use Conv2D for images")
                : StrataError.invalidModel(layer: layer, "Conv2D needs samples of shape (height, width, channels), got \(inputShape)",
                                           hint: "give inputShape: [height, width, channels] (channels last), or use Conv1D for sequences")
        }
        guard oneD || padding != .causal else {
            throw StrataError.invalidModel(layer: layer, "padding \"causal\" is only for Conv1D", hint: "use \"valid\" or \"same\"")
        }
        if (strides.0 > 1 || strides.1 > 1) && (dilationRate.0 > 1 || dilationRate.1 > 1) {
            let s = oneD ? "\(strides.1)" : "\(strides)", d = oneD ? "\(dilationRate.1)" : "\(dilationRate)"
            throw StrataError.invalidModel(layer: layer, "strides \(s) and dilation rate \(d) are both above 1",
                                           hint: "Keras allows either strides > 1 or dilation_rate > 1, not both")
        }
        let h = oneD ? WindowAxis.unit()
            : try WindowAxis.make(layer: layer, axis: "height (input \(inputShape))", input: inputShape[0], window: kernelSize.0,
                                  stride: strides.0, dilation: dilationRate.0, padding: padding)
        let w = try WindowAxis.make(layer: layer, axis: "\(oneD ? "steps" : "width") (input \(inputShape))",
                                    input: inputShape[spatialRank - 1], window: kernelSize.1, stride: strides.1,
                                    dilation: dilationRate.1, padding: padding)
        let channels = inputShape[spatialRank]
        geometry = WindowGeometry(height: h, width: w, channels: channels)
        let window = oneD ? [kernelSize.1] : [kernelSize.0, kernelSize.1]
        let k = weights.add("kernel", shape: window + [channels, filters], initializer: kernelInitializer)
        kernel = k
        var handles = [k]
        if useBias {
            let b = weights.add("bias", shape: [filters], initializer: biasInitializer)
            bias = b
            handles.append(b)
        }
        outputShape = (oneD ? [w.output] : [h.output, w.output]) + [filters]
        return handles
    }

    /// Keras's `get_config()` of a convolution layer; sizes as Keras lists (one entry per spatial axis).
    static func config(filters: Int, kernelSize: [Int], strides: [Int], padding: Padding, dilationRate: [Int],
                       activation: ActivationFunction, useBias: Bool) -> [String: JSONValue] {
        ["filters": JSONValue(filters), "kernel_size": JSONValue(kernelSize), "strides": JSONValue(strides),
         "padding": .string(padding.rawValue), "data_format": "channels_last", "dilation_rate": JSONValue(dilationRate),
         "groups": 1, "activation": .string(activation.kerasName), "use_bias": .bool(useBias)]
    }

    /// Output positions per chunk for a batch of `positions` output positions.
    private func chunkRows(_ positions: Int) -> Int {
        max(1, min(positions, packingBudget / max(1, geometry.patchSize)))
    }

    /// The im2col buffer: the layer's own when it holds the whole batch (backward reuses that packing), else the
    /// model's shared chunk, which only lives during one call.
    private func packing(_ shape: [Int], wholeBatch: Bool, context: LayerContext) -> Tensor {
        wholeBatch ? workspace.buffer(4, shape) : context.scratch(shape, sharedSlot: 0, workspace: &workspace, slot: 4)
    }

    /// Forward pass on a batch `x`. Per chunk, while its rows are in cache: pack, seed `Z` with the bias, GEMM with
    /// `beta = 1` (no separate zeroing or bias pass), then the activation.
    func forward(_ x: Tensor, context: LayerContext) -> Tensor {
        let batch = x.shape.first ?? 0
        let positions = batch * geometry.outputPositions
        let patch = geometry.patchSize
        let z = workspace.buffer(0, [batch] + outputShape)
        // relu runs in place: its gradient only asks whether the output is positive, so Z need not be kept.
        let y = activation == .linear || activation == .relu ? z : workspace.buffer(1, z.shape)
        let z2 = z.reshaped([positions, filters]), y2 = y.reshaped([positions, filters])
        let k = context.parameters.value(kernel!)
        let b = bias.map { context.parameters.value($0) }
        let chunk = chunkRows(positions)
        let cols = packing([chunk, patch], wholeBatch: chunk >= positions, context: context)
        var r0 = 0
        while r0 < positions {
            let m = min(chunk, positions - r0)
            let zc = z2.rows(r0..<(r0 + m))
            Im2Col.pack(x, geometry, firstRow: r0, rows: m, into: cols)
            if let b { Kernels.fillRows(zc, with: b, rows: m, cols: filters) }
            BLAS.gemm(cols, rowsA: m, colsA: patch, k, rowsB: patch, colsB: filters, into: zc, beta: b == nil ? 0 : 1)
            if activation != .linear { activation.apply(zc, into: y2.rows(r0..<(r0 + m))) }
            r0 += m
        }
        packedWholeBatch = chunk >= positions
        lastInput = x
        lastZ = z
        lastY = y
        return y
    }

    /// Backward pass: adds the kernel and bias gradients and returns `dx` (empty when the context says nobody needs
    /// it: the first layer then skips the patch-gradient GEMM and col2im). Per chunk, while its rows are in cache:
    /// activation gradient, bias sums, kernel-gradient GEMM (`beta = 1`), patch-gradient GEMM, col2im.
    func backward(_ dy: Tensor, context: LayerContext) -> Tensor {
        let x = lastInput!
        let batch = x.shape.first ?? 0
        let positions = batch * geometry.outputPositions
        let patch = geometry.patchSize
        let dy2 = dy.reshaped([positions, filters])
        let dz2 = activation == .linear ? dy2 : context.elementwiseGradient(of: dy2, workspace: &workspace, slot: 2)
        let z2 = lastZ!.reshaped([positions, filters]), y2 = lastY!.reshaped([positions, filters])
        let p = context.parameters
        let k = p.value(kernel!)
        let dk = p.gradient(kernel!)
        let db = bias.map { p.gradient($0) }
        let needsDx = context.needsInputGradient
        let dx = needsDx ? context.inputGradient(x.shape, dy: dy, workspace: &workspace, slot: 3) : workspace.buffer(3, [0])
        if needsDx { dx.fill(0) }
        let chunk = chunkRows(positions)
        let cols = packing([chunk, patch], wholeBatch: packedWholeBatch && chunk >= positions, context: context)
        let dcols = needsDx ? context.scratch([chunk, patch], sharedSlot: 1, workspace: &workspace, slot: 5) : cols
        var r0 = 0
        while r0 < positions {
            let m = min(chunk, positions - r0)
            let rows = r0..<(r0 + m)
            let dzc = dz2.rows(rows)
            if activation != .linear { activation.gradient(x: z2.rows(rows), y: y2.rows(rows), dy: dy2.rows(rows), into: dzc) }
            if let db { Kernels.accumulateColumnSums(dzc, rows: m, cols: filters, into: db) }
            if !(packedWholeBatch && chunk >= positions) { Im2Col.pack(x, geometry, firstRow: r0, rows: m, into: cols) }
            BLAS.gemm(cols, rowsA: m, colsA: patch, transA: true, dzc, rowsB: m, colsB: filters, into: dk, beta: 1)
            if needsDx {
                BLAS.gemm(dzc, rowsA: m, colsA: filters, k, rowsB: patch, colsB: filters, transB: true, into: dcols)
                Im2Col.unpackAdd(dcols, geometry, firstRow: r0, rows: m, into: dx)
            }
            r0 += m
        }
        return dx
    }
}
