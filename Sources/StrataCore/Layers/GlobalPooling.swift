/// The computation shared by the global pooling layers: every spatial axis of a channels-last sample is reduced,
/// leaving `(channels,)` (or, with `keepdims`, ones for the reduced axes). Average: `y[c] = mean_s x[s, c]`;
/// max: `y[c] = max_s x[s, c]` with TensorFlow's `reduce_max` gradient (split equally among ties)
/// (keras/src/layers/pooling/base_global_pooling.py).
final class GlobalPooling {
    enum Kind { case max, average }
    let kind: Kind
    let spatialRank: Int
    let keepdims: Bool
    /// The per-sample output shape set by `build`.
    private(set) var outputShape: [Int] = []
    /// Workspace slots; `tieCounts` holds global max pooling's maxima per channel (its gradient splits among ties).
    enum Slot { case output, inputGradient, tieCounts }
    private var workspace = Workspace<Slot>()
    private var lastX: Tensor?
    private var lastY: Tensor?
    private var positions = 0
    private var channels = 0

    init(kind: Kind, spatialRank: Int, keepdims: Bool) {
        self.kind = kind
        self.spatialRank = spatialRank
        self.keepdims = keepdims
    }

    func build(layer: String, className: String, inputShape: [Int]) throws -> [Int] {
        guard inputShape.count == spatialRank + 1 else {
            let wanted = spatialRank == 1 ? "(steps, channels)" : "(height, width, channels)"
            throw StrataError.invalidModel(
                layer: layer, "\(className) needs samples of shape \(wanted), got \(inputShape)",
                hint: spatialRank == 1 ? "use the 2D variant for images" : "use the 1D variant for sequences")
        }
        channels = inputShape[spatialRank]
        positions = inputShape.dropLast().reduce(1, *)
        outputShape = keepdims ? [Int](repeating: 1, count: spatialRank) + [channels] : [channels]
        return outputShape
    }

    func forward(_ x: Tensor) -> Tensor {
        let batch = x.shape.first ?? 0
        let y = workspace.buffer(.output, [batch] + outputShape)
        switch kind {
        case .average: PoolingKernels.globalAverageForward(x, batch: batch, positions: positions, channels: channels, into: y)
        case .max: PoolingKernels.globalMaxForward(x, batch: batch, positions: positions, channels: channels, into: y)
        }
        lastX = x
        lastY = y
        return y
    }

    func backward(_ dy: Tensor, context: LayerContext) -> Tensor {
        let x = lastX!
        let batch = x.shape.first ?? 0
        let dx = context.inputGradient(x.shape, dy: dy, workspace: &workspace, slot: .inputGradient)
        switch kind {
        case .average:
            PoolingKernels.globalAverageBackward(dy, batch: batch, positions: positions, channels: channels, into: dx)
        case .max:
            PoolingKernels.globalMaxBackward(
                dy, x: x, y: lastY!, batch: batch, positions: positions, channels: channels,
                into: dx, counts: workspace.buffer(.tieCounts, [channels]))
        }
        return dx
    }

    /// `keepdims` from a global pooling layer's config, after the shared argument check (channels_last only).
    static func keepdims(_ c: LayerConfig) throws -> Bool {
        try c.checkArguments(["keepdims"], unsupported: [LayerConfig.channelsLast])
        return try c.bool("keepdims") ?? false
    }

    /// Keras's `get_config()` of a global pooling layer.
    var config: [String: JSONValue] { ["data_format": "channels_last", "keepdims": .bool(keepdims)] }
}
