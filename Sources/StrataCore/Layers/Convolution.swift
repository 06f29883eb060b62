/// The computation shared by `Conv2D` and `Conv1D` (a 1-D input is a 2-D one of height 1): a channels-last
/// cross-correlation done as im2col + GEMM.
///
/// Forward, per chunk of output positions: `Z[q, :] = cols[q, :] · K` with `K` the kernel seen as
/// `(kh*kw*in, filters)`, then `Y = activation(Z + bias)`. Backward: `dK += colsᵀ · dZ`, `db += sum_q dZ[q, :]`,
/// `dcols = dZ · Kᵀ` scattered back by col2im. Chunks hold at most `packingBudget` packed scalars (one GEMM per
/// chunk, spanning many samples when they are small); when the whole batch fits in one chunk, backward reuses
/// the forward's packing. Every buffer comes from a `Workspace`, so steady-state steps allocate nothing.
///
/// Stride-1 undilated convolutions whose channel counts fit the CPU's vector width run the direct kernels of
/// `ConvKernels` instead (no packing; the input gradient as a convolution of `dZ` with the flipped kernel), split
/// into a few sample ranges per thread of `LayerContext.pool`, handed to whichever thread is free. Among those, 3x3
/// Conv2D layers that pass `WinogradKernels.applies` (16+ channels and filters, 8+ wide outputs) run their forward
/// and input gradient as Winograd F(2x2, 3x3) and their kernel gradient as F(3x3, 2x2) (`winograd`).
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
    /// The layer's regularizers and constraints, given to its weights in `build`.
    var regularization = WeightRegularization()
    var bias: ParameterHandle?
    /// The per-sample output shape set by `build` (channels last).
    private(set) var outputShape: [Int] = []
    /// Upper bound on the scalars of one im2col chunk: 1 Mi scalars (4 MiB), which measured faster than 4 Mi on the
    /// guide's VGG-like model (packed rows stay in cache between packing and GEMM) and bounds memory per layer.
    var packingBudget: Int { didSet { packingBudget = max(1, packingBudget) } }
    /// Widest vector lanes the direct kernels may use (16, 8, or 0 for im2col + GEMM only); the CPU's by default.
    var kernelLanes = ConvKernels.cpuLanes { didSet { kernelLanes = min(max(0, kernelLanes), ConvKernels.cpuLanes) } }
    /// Whether a relu layer on the direct kernels keeps a 1-bit mask (written in the forward kernel's epilogue, read
    /// in the kernel gradient's first pass) instead of its output: the output then dies after the next layer's
    /// forward and lends its memory (rule 6 of `SharedBuffers`). Off only to compare (bit-identical either way).
    var keepsReluMask = true
    /// Whether layers that pass `WinogradKernels.applies` run Winograd F(2x2, 3x3) for their forward and input
    /// gradient and F(3x3, 2x2) for their kernel gradient; on unless the environment sets `STRATA_WINOGRAD=0`
    /// (`WinogradKernels.enabled`), which forces the direct kernels without a code or config change (to compare, or
    /// to get the direct kernels' rounding).
    var winograd = WinogradKernels.enabled

    /// Workspace slots: `z` and the activation's output `y` (the same buffer for linear and relu), the activation
    /// gradient and `dx` (when the layer runs alone), the im2col `patches` (whole batch, or the fallback for the
    /// shared chunk) and their gradient, the direct kernels' per-thread `kernelScratch` and the `flippedKernel` of
    /// their input gradient (the kernel gradient's per-chunk partials are in the pool's scratch).
    enum Slot {
        case preActivation, output, activationGradient, inputGradient, patches, patchGradients, kernelScratch,
            flippedKernel, reluMask, winogradKernel
    }
    private var workspace = Workspace<Slot>()
    private var lastInput: Tensor?
    private var lastZ: Tensor?
    private var lastY: Tensor?
    private var lastReluMask: Tensor?
    private var packedWholeBatch = false
    /// Whether `backward` reads the output: every activation but linear, and relu on the direct kernels, whose
    /// gradient reads the 1-bit mask the forward kernel wrote (a separate record/apply mask pass measured 1.6x slower
    /// on vgg_like; fused into the kernels it costs a compare per stored vector).
    var backwardReadsOutput: Bool { activation != .linear && !usesReluMask }

    /// Whether this layer keeps the relu mask instead of its output (`keepsReluMask`, relu, direct kernels).
    private var usesReluMask: Bool { keepsReluMask && activation == .relu && directLanes(filters) > 0 }

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
    func build(
        layer: String, inputShape: [Int], kernelSize: (Int, Int), strides: (Int, Int), dilationRate: (Int, Int),
        padding: Padding, useBias: Bool, kernelInitializer: Initializer, biasInitializer: Initializer,
        weights: inout WeightAllocator
    ) throws -> [ParameterHandle] {
        let oneD = spatialRank == 1
        guard filters > 0 else {
            throw StrataError.invalidModel(
                layer: layer, "filters must be positive, got \(filters)",
                hint: oneD ? "use e.g. Conv1D(64, kernelSize: 3)" : "use e.g. Conv2D(32, kernelSize: (3, 3))")
        }
        guard inputShape.count == spatialRank + 1 else {
            throw oneD
                ? StrataError.invalidModel(
                    layer: layer, "Conv1D needs samples of shape (steps, channels), got \(inputShape)",
                    hint: "give inputShape: [steps, channels], or use Conv2D for images")
                : StrataError.invalidModel(
                    layer: layer, "Conv2D needs samples of shape (height, width, channels), got \(inputShape)",
                    hint: "give inputShape: [height, width, channels] (channels last), or use Conv1D for sequences")
        }
        guard oneD || padding != .causal else {
            throw StrataError.invalidModel(layer: layer, "padding \"causal\" is only for Conv1D", hint: "use \"valid\" or \"same\"")
        }
        if (strides.0 > 1 || strides.1 > 1) && (dilationRate.0 > 1 || dilationRate.1 > 1) {
            let s = oneD ? "\(strides.1)" : "\(strides)", d = oneD ? "\(dilationRate.1)" : "\(dilationRate)"
            throw StrataError.invalidModel(
                layer: layer, "strides \(s) and dilation rate \(d) are both above 1",
                hint: "Keras allows either strides > 1 or dilation_rate > 1, not both")
        }
        let h =
            oneD
            ? WindowAxis.unit()
            : try WindowAxis.make(
                layer: layer, axis: "height (input \(inputShape))", input: inputShape[0], window: kernelSize.0,
                stride: strides.0, dilation: dilationRate.0, padding: padding)
        let w = try WindowAxis.make(
            layer: layer, axis: "\(oneD ? "steps" : "width") (input \(inputShape))",
            input: inputShape[spatialRank - 1], window: kernelSize.1, stride: strides.1,
            dilation: dilationRate.1, padding: padding)
        let channels = inputShape[spatialRank]
        geometry = WindowGeometry(height: h, width: w, channels: channels)
        let window = oneD ? [kernelSize.1] : [kernelSize.0, kernelSize.1]
        let k = weights.add(
            "kernel", shape: window + [channels, filters], initializer: kernelInitializer,
            regularizer: regularization.kernelRegularizer, constraint: regularization.kernelConstraint)
        kernel = k
        var handles = [k]
        if useBias {
            let b = weights.add(
                "bias", shape: [filters], initializer: biasInitializer, regularizer: regularization.biasRegularizer,
                constraint: regularization.biasConstraint)
            bias = b
            handles.append(b)
        }
        outputShape = (oneD ? [w.output] : [h.output, w.output]) + [filters]
        return handles
    }

    /// The config values of Conv1D and Conv2D after the shared argument check; `size` reads a 1-D or 2-D size
    /// (`LayerConfig.single` or `.pair`), described by `sizeText` in errors.
    struct ConfigValues<Size> {
        let filters: Int, kernelSize: Size, strides: Size?, padding: Padding, dilationRate: Size?
        let activation: ActivationFunction, useBias: Bool, kernelInitializer: Initializer, biasInitializer: Initializer
        let inputShape: [Int]?, batchSize: Int?, batchInputShape: [Int]?
        let regularization: WeightRegularization

        init(_ c: LayerConfig, size: (String) throws -> Size?, sizeText: String) throws {
            try c.checkArguments(
                Set([
                    "filters", "kernel_size", "strides", "padding", "dilation_rate", "activation", "use_bias",
                    "kernel_initializer", "bias_initializer",
                ]).union(WeightRegularization.keys),
                unsupported: [LayerConfig.channelsLast, UnsupportedArgument("groups", accepting: [1], hint: "use groups = 1")])
            regularization = try WeightRegularization(config: c)
            let io = try c.inputArguments()
            (inputShape, batchSize, batchInputShape) = (io.inputShape, io.batchSize, io.batchInputShape)
            guard let k = try size("kernel_size") else { throw c.fail("kernel_size", "\(sizeText) (it is required)") }
            kernelSize = k
            filters = try c.requiredInt("filters")
            strides = try size("strides")
            padding = try c.padding()
            dilationRate = try size("dilation_rate")
            activation = try c.activation()
            useBias = try c.bool("use_bias") ?? true
            kernelInitializer = try c.initializer("kernel_initializer", default: .glorotUniform)
            biasInitializer = try c.initializer("bias_initializer", default: .zeros)
        }
    }

    /// Keras's `get_config()` of a convolution layer; sizes as Keras lists (one entry per spatial axis).
    static func config(
        filters: Int, kernelSize: [Int], strides: [Int], padding: Padding, dilationRate: [Int],
        activation: ActivationFunction, useBias: Bool
    ) -> [String: JSONValue] {
        [
            "filters": JSONValue(filters), "kernel_size": JSONValue(kernelSize), "strides": JSONValue(strides),
            "padding": .string(padding.rawValue), "data_format": "channels_last", "dilation_rate": JSONValue(dilationRate),
            "groups": 1, "activation": .string(activation.kerasName), "use_bias": .bool(useBias),
        ]
    }

    /// Output positions per chunk for a batch of `positions` output positions.
    private func chunkRows(_ positions: Int) -> Int {
        max(1, min(positions, packingBudget / max(1, geometry.patchSize)))
    }

    /// Lanes of the direct kernels for a convolution producing `channels` channels; 0 when it runs as GEMMs.
    private func directLanes(_ channels: Int) -> Int {
        let h = geometry.height, w = geometry.width
        guard h.stride == 1, w.stride == 1, h.dilation == 1, w.dilation == 1 else { return 0 }
        return ConvKernels.lanes(for: channels, limit: kernelLanes)
    }

    /// Lanes of Winograd for this layer's forward and input gradient (`winograd`, `WinogradKernels.applies`); 0 when
    /// they run the direct kernels.
    private var winogradLanes: Int {
        guard winograd, spatialRank == 2 else { return 0 }
        let l = WinogradKernels.lanes(channels: geometry.channels, filters: filters, limit: kernelLanes)
        return WinogradKernels.applies(geometry, filters: filters, lanes: l) ? l : 0
    }

    /// Floats of the direct (and, when `winograd`, the Winograd) kernels' per-thread scratch.
    private func scratchPerSlot(winograd: Bool) -> Int {
        let direct = ConvKernels.scratchCount(geometry, filters: filters)
        return winograd ? max(direct, WinogradKernels.scratchCount(geometry, filters: filters)) : direct
    }

    /// The im2col buffer: the layer's own when it holds the whole batch (backward reuses that packing), else the
    /// model's shared chunk, which only lives during one call.
    private func packing(_ shape: [Int], wholeBatch: Bool, context: LayerContext) -> Tensor {
        wholeBatch
            ? workspace.buffer(.patches, shape)
            : context.scratch(shape, sharedSlot: .patches, workspace: &workspace, slot: .patches)
    }

    /// Forward pass on a batch `x`. Per chunk, while its rows are in cache: pack, seed `Z` with the bias, GEMM with
    /// `beta = 1` (no separate zeroing or bias pass), then the activation.
    func forward(_ x: Tensor, context: LayerContext) -> Tensor {
        let batch = x.shape.first ?? 0
        let positions = batch * geometry.outputPositions
        let patch = geometry.patchSize
        // relu runs in place: its gradient only asks whether the output is positive, so Z need not be kept. The
        // output may go in memory the model lends (rule 6).
        let zIsY = activation == .linear || activation == .relu
        let z =
            zIsY
            ? context.output([batch] + outputShape, workspace: &workspace, slot: .preActivation)
            : workspace.buffer(.preActivation, [batch] + outputShape)
        let y = zIsY ? z : context.output(z.shape, workspace: &workspace, slot: .output)
        let z2 = z.view([positions, filters]), y2 = y.view([positions, filters])
        let k = context.parameters.value(kernel!)
        let b = bias.map { context.parameters.value($0) }
        lastInput = x
        lastZ = z
        lastY = y
        let lanes = directLanes(filters)
        lastReluMask = nil
        if lanes > 0 {
            let parts = ConvKernels.parts(batch: batch, threads: context.threads)
            let slots = ConvKernels.slots(parts: parts, threads: context.threads)
            let wLanes = winogradLanes
            let scratch = workspace.buffer(.kernelScratch, [slots * scratchPerSlot(winograd: wLanes > 0)])
            lastReluMask = usesReluMask ? workspace.buffer(.reluMask, [ConvKernels.reluMaskFloats(z.count)]) : nil
            if wLanes > 0 {
                let c = geometry.channels
                let u = workspace.buffer(.winogradKernel, [WinogradKernels.transformCount(channels: c, filters: filters)])
                WinogradKernels.transform(k, channels: c, filters: filters, into: u)
                WinogradKernels.forward(
                    x, geometry, transformed: u, filters: filters, bias: b, into: z, relu: activation == .relu,
                    reluMask: lastReluMask, lanes: wLanes, scratch: scratch, parts: parts, pool: context.pool)
            } else {
                ConvKernels.forward(
                    x, geometry, kernel: k, filters: filters, bias: b, into: z, relu: activation == .relu,
                    reluMask: lastReluMask, lanes: lanes, scratch: scratch, parts: parts, pool: context.pool)
            }
            if activation != .linear && activation != .relu { activation.apply(z2, into: y2) }
            packedWholeBatch = false
            return y
        }
        let chunk = chunkRows(positions)
        let cols = packing([chunk, patch], wholeBatch: chunk >= positions, context: context)
        var r0 = 0
        while r0 < positions {
            let m = min(chunk, positions - r0)
            let zc = z2.rows(r0..<(r0 + m))
            Im2Col.pack(x, geometry, firstRow: r0, rows: m, into: cols)
            if let b { Kernels.fillRows(zc, with: b, rows: m, cols: filters) }
            BLAS.gemm(
                cols, rowsA: m, colsA: patch, k, rowsB: patch, colsB: filters, into: zc, beta: b == nil ? 0 : 1,
                pool: context.pool)
            if activation != .linear { activation.apply(zc, into: y2.rows(r0..<(r0 + m))) }
            r0 += m
        }
        packedWholeBatch = chunk >= positions
        return y
    }

    /// Backward pass: adds the kernel and bias gradients and returns `dx` (empty when the context says nobody needs
    /// it: the first layer then skips the input gradient). Direct kernels: the kernel gradient (taking the relu
    /// gradient and bias sums row by row while each row is in cache), then the input gradient. GEMM path, per chunk
    /// while its rows are in cache: activation gradient, bias sums, kernel-gradient GEMM (`beta = 1`),
    /// patch-gradient GEMM, col2im.
    func backward(_ dy: Tensor, context: LayerContext) -> Tensor {
        let x = lastInput!
        let batch = x.shape.first ?? 0
        let positions = batch * geometry.outputPositions
        let patch = geometry.patchSize
        let dy2 = dy.view([positions, filters])
        let dz2 =
            activation == .linear
            ? dy2 : context.elementwiseGradient(of: dy2, workspace: &workspace, slot: .activationGradient)
        let z2 = lastZ!.view([positions, filters]), y2 = lastY!.view([positions, filters])
        let p = context.parameters
        let k = p.value(kernel!)
        let dk = p.gradient(kernel!)
        let db = bias.map { p.gradient($0) }
        let needsDx = context.needsInputGradient
        let lanes = directLanes(filters), dxLanes = needsDx ? directLanes(geometry.channels) : 0
        // `dx` over `x` (rule 5) when `x` is read no more once `dx` is written: the direct kernels finish the kernel
        // gradient first; the GEMM path reads `x` only when it packs it again (more than one chunk).
        let xDoneFirst = lanes > 0 || (packedWholeBatch && chunkRows(positions) >= positions)
        let dx =
            needsDx
            ? context.inputGradient(x.shape, dy: dy, over: xDoneFirst ? x : nil, workspace: &workspace, slot: .inputGradient)
            : workspace.buffer(.inputGradient, [0])
        let relu = activation == .relu
        let gemmDx = needsDx && dxLanes == 0
        let parts = ConvKernels.parts(batch: batch, threads: context.threads)
        let slots = ConvKernels.slots(parts: parts, threads: context.threads)
        let wLanes = lanes > 0 ? winogradLanes : 0, dxWinograd = dxLanes > 0 ? wLanes : 0
        let scratchCount = lanes + dxLanes > 0 ? slots * scratchPerSlot(winograd: dxWinograd > 0) : 0
        let scratch = workspace.buffer(.kernelScratch, [scratchCount])
        if lanes > 0 {
            if activation != .linear && !relu { activation.gradient(x: z2, y: y2, dy: dy2, into: dz2) }
            let dzIn = relu ? dy2 : dz2, reluY = relu && lastReluMask == nil ? y2 : nil
            if wLanes > 0 {
                // Partials and the per-thread tiles live only during the call: the pool's scratch, shared by the layers.
                let shared = context.pool.scratch(
                    WinogradKernels.kernelGradientScratchCount(
                        geometry, filters: filters, bias: db != nil, parts: parts, threads: context.threads))
                WinogradKernels.kernelGradient(
                    x, geometry, dy: dzIn, reluY: reluY, reluMask: lastReluMask, dz: dz2, keepsDz: needsDx,
                    filters: filters, into: dk, bias: db, lanes: wLanes, scratch: shared, parts: parts, pool: context.pool)
            } else {
                let partialsCount = ConvKernels.partialsCount(kernel: dk.count, bias: db?.count ?? 0, parts: parts)
                // Per-chunk partials live only during the call: the pool's scratch, shared by the model's layers.
                let partials = context.pool.scratch(partialsCount)
                ConvKernels.kernelGradient(
                    x, geometry, dy: dzIn, reluY: reluY, reluMask: lastReluMask, dz: dz2, keepsDz: needsDx,
                    filters: filters, into: dk, bias: db, lanes: lanes, scratch: scratch, partials: partials,
                    parts: parts, pool: context.pool)
            }
        }
        if lanes == 0 || gemmDx {
            if gemmDx { dx.fill(0) }
            let chunk = chunkRows(positions)
            let cols = lanes == 0 ? packing([chunk, patch], wholeBatch: packedWholeBatch && chunk >= positions, context: context) : nil
            let dcols =
                gemmDx
                ? context.scratch(
                    [chunk, patch], sharedSlot: .patchGradients, workspace: &workspace,
                    slot: .patchGradients) : nil
            var r0 = 0
            while r0 < positions {
                let m = min(chunk, positions - r0)
                let rows = r0..<(r0 + m)
                let dzc = dz2.rows(rows)
                if lanes == 0 {
                    if activation != .linear { activation.gradient(x: z2.rows(rows), y: y2.rows(rows), dy: dy2.rows(rows), into: dzc) }
                    if let db { Kernels.accumulateColumnSums(dzc, rows: m, cols: filters, into: db) }
                    if !(packedWholeBatch && chunk >= positions) { Im2Col.pack(x, geometry, firstRow: r0, rows: m, into: cols!) }
                    BLAS.gemm(
                        cols!, rowsA: m, colsA: patch, transA: true, dzc, rowsB: m, colsB: filters, into: dk, beta: 1,
                        pool: context.pool)
                }
                if gemmDx {
                    BLAS.gemm(
                        dzc, rowsA: m, colsA: filters, k, rowsB: patch, colsB: filters, transB: true, into: dcols!,
                        pool: context.pool)
                    Im2Col.unpackAdd(dcols!, geometry, firstRow: r0, rows: m, into: dx)
                }
                r0 += m
            }
        }
        if dxWinograd > 0 {
            let flipped = workspace.buffer(.flippedKernel, [patch * filters])
            let u = workspace.buffer(
                .winogradKernel, [WinogradKernels.transformCount(channels: geometry.channels, filters: filters)])
            WinogradKernels.inputGradient(
                dz2, geometry, kernel: k, filters: filters, flipped: flipped, transformed: u, into: dx,
                lanes: dxWinograd, scratch: scratch, parts: parts, pool: context.pool)
        } else if dxLanes > 0 {
            let flipped = workspace.buffer(.flippedKernel, [patch * filters])
            ConvKernels.inputGradient(
                dz2, geometry, kernel: k, filters: filters, flipped: flipped, into: dx,
                lanes: dxLanes, scratch: scratch, parts: parts, pool: context.pool)
        }
        return dx
    }
}
