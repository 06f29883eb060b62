/// The computation shared by MaxPooling1D/2D and AveragePooling1D/2D: a window slid over channels-last samples
/// (1-D inputs are 2-D with height 1), each channel pooled separately. `strides` default to the pool size and
/// windows never read padding (keras/src/layers/pooling/base_pooling.py; TF `max_pool` / `avg_pool`).
final class WindowPooling {
    enum Kind { case max, average }
    let kind: Kind
    var geometry = WindowGeometry(height: .unit(), width: .unit(), channels: 1)
    private var workspace = Workspace()
    private var argmax: [Int32] = []
    private var inputShape: [Int] = []

    init(kind: Kind) { self.kind = kind }

    /// Sets the geometry for samples `(height, width, channels)`; returns the output `(oh, ow)`.
    func build(layer: String, height: Int, width: Int, channels: Int, pool: (Int, Int), strides: (Int, Int),
               padding: Padding, axes: (String, String)) throws -> (Int, Int) {
        guard padding != .causal else {
            throw StrataError.invalidModel(layer: layer, "pooling has no \"causal\" padding", hint: "use \"valid\" or \"same\"")
        }
        let h = try WindowAxis.make(layer: layer, axis: axes.0, input: height, window: pool.0, stride: strides.0, dilation: 1,
                                    padding: padding)
        let w = try WindowAxis.make(layer: layer, axis: axes.1, input: width, window: pool.1, stride: strides.1, dilation: 1,
                                    padding: padding)
        geometry = WindowGeometry(height: h, width: w, channels: channels)
        return (h.output, w.output)
    }

    func forward(_ x: Tensor, outputShape: [Int]) -> Tensor {
        inputShape = x.shape
        let y = workspace.buffer(0, [x.shape.first ?? 0] + outputShape)
        switch kind {
        case .max: PoolingKernels.maxForward(x, geometry, into: y, argmax: &argmax)
        case .average: PoolingKernels.averageForward(x, geometry, into: y)
        }
        return y
    }

    func backward(_ dy: Tensor) -> Tensor {
        let dx = workspace.buffer(1, inputShape)
        switch kind {
        case .max: PoolingKernels.maxBackward(dy, argmax: argmax, into: dx)
        case .average: PoolingKernels.averageBackward(dy, geometry, into: dx)
        }
        return dx
    }
}
