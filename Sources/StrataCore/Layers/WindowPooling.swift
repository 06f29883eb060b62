/// The computation shared by MaxPooling1D/2D and AveragePooling1D/2D: a window slid over channels-last samples
/// (1-D inputs are 2-D with height 1), each channel pooled separately. `strides` default to the pool size and
/// windows never read padding (keras/src/layers/pooling/base_pooling.py; TF `max_pool` / `avg_pool`).
///
/// `build` holds the shape checks the four layers share; their messages name the layer's class, and a 1-D layer
/// passes sizes as `(1, k)`.
final class WindowPooling {
    enum Kind { case max, average }
    let kind: Kind
    /// 1 for the `...Pooling1D` layers (samples `(steps, channels)`), 2 for `...Pooling2D` (`(height, width, channels)`).
    let spatialRank: Int
    var geometry = WindowGeometry(height: .unit(), width: .unit(), channels: 1)
    /// The per-sample output shape set by `build` (channels last).
    private(set) var outputShape: [Int] = []
    enum Slot { case output, inputGradient }
    private var workspace = Workspace<Slot>()
    /// Where each max-pooling output's gradient goes (one byte per output on the vectorised loops).
    private var positions = PoolingKernels.MaxPositions()
    private var inputShape: [Int] = []
    private var lastInput: Tensor?

    init(kind: Kind, spatialRank: Int) {
        self.kind = kind
        self.spatialRank = spatialRank
    }

    /// Checks `inputShape` (one sample) and sets the geometry for `pool` and `strides`, given as `(height, width)`;
    /// returns the per-sample output shape.
    func build(
        layer: String, className: String, inputShape: [Int], pool: (Int, Int), strides: (Int, Int),
        padding: Padding
    ) throws -> [Int] {
        let oneD = spatialRank == 1
        guard inputShape.count == spatialRank + 1 else {
            let other = className.dropLast(2) + (oneD ? "2D" : "1D")
            throw oneD
                ? StrataError.invalidModel(
                    layer: layer, "\(className) needs samples of shape (steps, channels), got \(inputShape)",
                    hint: "use it after Conv1D, or use \(other) for images")
                : StrataError.invalidModel(
                    layer: layer, "\(className) needs samples of shape (height, width, channels), got \(inputShape)",
                    hint: "use it after Conv2D, or use \(other) for sequences")
        }
        guard padding != .causal else {
            throw StrataError.invalidModel(layer: layer, "pooling has no \"causal\" padding", hint: "use \"valid\" or \"same\"")
        }
        let axes =
            oneD
            ? ("height", "steps (input \(inputShape))")
            : ("height (input \(inputShape))", "width (input \(inputShape))")
        let h = try WindowAxis.make(
            layer: layer, axis: axes.0, input: oneD ? 1 : inputShape[0], window: pool.0,
            stride: strides.0, dilation: 1, padding: padding)
        let w = try WindowAxis.make(
            layer: layer, axis: axes.1, input: inputShape[spatialRank - 1], window: pool.1,
            stride: strides.1, dilation: 1, padding: padding)
        let channels = inputShape[spatialRank]
        geometry = WindowGeometry(height: h, width: w, channels: channels)
        outputShape = (oneD ? [w.output] : [h.output, w.output]) + [channels]
        return outputShape
    }

    /// The config values of the four layers after the shared argument check (channels_last only); `size` reads a
    /// 1-D or 2-D size (`LayerConfig.single` or `.pair`), `pool` defaults to `defaultPool`.
    static func configValues<Size>(_ c: LayerConfig, size: (String) throws -> Size?, defaultPool: Size) throws
        -> (pool: Size, strides: Size?, padding: Padding, inputShape: [Int]?)
    {
        try c.checkArguments(["pool_size", "strides", "padding"], unsupported: [LayerConfig.channelsLast])
        return (try size("pool_size") ?? defaultPool, try size("strides"), try c.padding(), try c.inputArguments().inputShape)
    }

    /// Keras's `get_config()` of a window pooling layer; sizes as Keras lists (one entry per spatial axis).
    static func config(poolSize: [Int], strides: [Int], padding: Padding) -> [String: JSONValue] {
        [
            "pool_size": JSONValue(poolSize), "strides": JSONValue(strides), "padding": .string(padding.rawValue),
            "data_format": "channels_last",
        ]
    }

    /// Sample chunks for a batch of `batch` samples on the run's threads (`LayerContext.threads`), as for the convolutions.
    private func parts(_ batch: Int, _ context: LayerContext) -> Int { ConvKernels.parts(batch: batch, threads: context.threads) }

    func forward(_ x: Tensor, context: LayerContext) -> Tensor {
        inputShape = x.shape
        lastInput = x
        let y = context.output([x.shape.first ?? 0] + outputShape, workspace: &workspace, slot: .output)
        switch kind {
        case .max:
            PoolingKernels.maxForward(
                x, geometry, into: y, positions: &positions, parts: parts(x.shape.first ?? 0, context), pool: context.pool)
        case .average: PoolingKernels.averageForward(x, geometry, into: y)
        }
        return y
    }

    func backward(_ dy: Tensor, context: LayerContext) -> Tensor {
        // Backward reads only `dy` and the window positions, never `x`: `dx` may go over it (rule 5).
        let dx = context.inputGradient(inputShape, dy: dy, over: lastInput, workspace: &workspace, slot: .inputGradient)
        switch kind {
        case .max:
            PoolingKernels.maxBackward(
                dy, geometry, positions: positions, into: dx, parts: parts(dx.shape.first ?? 0, context), pool: context.pool)
        case .average: PoolingKernels.averageBackward(dy, geometry, into: dx)
        }
        return dx
    }
}
