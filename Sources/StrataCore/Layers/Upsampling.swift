/// Keras's `interpolation` argument of `UpSampling2D`: `nearest` repeats each position, `bilinear` interpolates
/// with TensorFlow's half-pixel centres (`tf.image.resize(..., "bilinear")`, no antialiasing).
public enum Interpolation: String, Sendable, CaseIterable {
    case nearest, bilinear
}

/// The computation shared by UpSampling1D and UpSampling2D: every sample's frame grows by integer factors
/// `(sh, sw)` (1-D: `(1, size)`), each channel separately (`ResamplingKernels`). keras/src/layers/reshaping/
/// up_sampling2d.py: nearest is `repeat` along each axis, bilinear `ops.image.resize`.
final class Upsampling {
    let size: (Int, Int)
    let interpolation: Interpolation
    let spatialRank: Int
    private var input = ResamplingKernels.Frame(height: 1, width: 1, channels: 1)
    private var rows: [ResamplingKernels.Lerp] = []
    private var cols: [ResamplingKernels.Lerp] = []
    private(set) var outputShape: [Int] = []
    enum Slot { case output, inputGradient }
    private var workspace = Workspace<Slot>()

    init(spatialRank: Int, size: (Int, Int), interpolation: Interpolation) {
        self.spatialRank = spatialRank
        self.size = size
        self.interpolation = interpolation
    }

    /// TensorFlow's `compute_interpolation_weights` with half-pixel centres for `n` inputs resized to `n * factor`:
    /// `in = (o + 0.5) / factor - 0.5`, lower `max(floor(in), 0)`, upper `min(ceil(in), n - 1)`, weight `in - floor(in)`.
    static func lerps(input n: Int, factor: Int) -> [ResamplingKernels.Lerp] {
        let scale = Float(n) / Float(n * factor)
        return (0..<(n * factor)).map { o in
            let v = (Float(o) + 0.5) * scale - 0.5
            let f = v.rounded(.down)
            return .init(lower: max(Int(f), 0), upper: min(Int(v.rounded(.up)), n - 1), weight: v - f)
        }
    }

    func build(layer: String, className: String, inputShape: [Int]) throws -> [Int] {
        let oneD = spatialRank == 1
        guard inputShape.count == spatialRank + 1 else {
            throw StrataError.invalidModel(
                layer: layer,
                "\(className) needs samples of shape \(oneD ? "(steps, channels)" : "(height, width, channels)"), got \(inputShape)",
                hint: oneD ? "use it on sequences (steps, channels)" : "use it on images (height, width, channels), channels last")
        }
        guard size.0 >= 1, size.1 >= 1 else {
            throw StrataError.invalidModel(
                layer: layer, "size \(oneD ? "\(size.1)" : "\(size)") must be positive", hint: "use factors of 1 or more")
        }
        let h = oneD ? 1 : inputShape[0], w = inputShape[spatialRank - 1], c = inputShape[spatialRank]
        input = .init(height: h, width: w, channels: c)
        if interpolation == .bilinear {
            rows = Self.lerps(input: h, factor: size.0)
            cols = Self.lerps(input: w, factor: size.1)
        }
        outputShape = (oneD ? [w * size.1] : [h * size.0, w * size.1]) + [c]
        return outputShape
    }

    func forward(_ x: Tensor, context: LayerContext) -> Tensor {
        let batch = x.shape.first ?? 0
        let y = workspace.buffer(.output, [batch] + outputShape)
        switch interpolation {
        case .nearest: ResamplingKernels.nearestForward(x, input, size: size, into: y, batch: batch)
        case .bilinear: ResamplingKernels.bilinearForward(x, input, rows: rows, cols: cols, into: y, batch: batch)
        }
        return y
    }

    func backward(_ dy: Tensor, context: LayerContext) -> Tensor {
        let batch = dy.shape.first ?? 0
        let shape = [batch] + (spatialRank == 1 ? [input.width] : [input.height, input.width]) + [input.channels]
        let dx = context.inputGradient(shape, dy: dy, workspace: &workspace, slot: .inputGradient)
        switch interpolation {
        case .nearest: ResamplingKernels.nearestBackward(dy, input, size: size, into: dx, batch: batch)
        case .bilinear: ResamplingKernels.bilinearBackward(dy, input, rows: rows, cols: cols, into: dx, batch: batch)
        }
        return dx
    }
}
