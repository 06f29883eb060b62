/// The computation shared by ZeroPadding1D/2D and Cropping1D/2D: every sample's spatial frame grows by zeros
/// (positive margins) or loses rows and columns (negative margins) at its four sides, channels untouched. Forward
/// and backward are both one block copy (`ResamplingKernels.copyBlock`) of the overlap between the input frame and
/// the output frame; what lies outside the overlap is zero (padding's output, cropping's input gradient).
/// 1-D layers have a height of 1 and margins only on the width (steps).
final class SpatialMargins {
    /// `(top, bottom, left, right)`: zeros added when positive, positions removed when negative.
    let margins: (top: Int, bottom: Int, left: Int, right: Int)
    let spatialRank: Int
    private var input = ResamplingKernels.Frame(height: 1, width: 1, channels: 1)
    private var output = ResamplingKernels.Frame(height: 1, width: 1, channels: 1)
    private(set) var outputShape: [Int] = []
    enum Slot { case output, inputGradient }
    private var workspace = Workspace<Slot>()

    init(spatialRank: Int, margins: (top: Int, bottom: Int, left: Int, right: Int)) {
        self.spatialRank = spatialRank
        self.margins = margins
    }

    /// Checks the sample shape and the sizes (a crop must leave at least one position per axis); returns the
    /// output shape.
    func build(layer: String, className: String, inputShape: [Int], argument: String) throws -> [Int] {
        let oneD = spatialRank == 1
        guard inputShape.count == spatialRank + 1 else {
            throw StrataError.invalidModel(
                layer: layer,
                "\(className) needs samples of shape \(oneD ? "(steps, channels)" : "(height, width, channels)"), got \(inputShape)",
                hint: oneD ? "use it on sequences (steps, channels)" : "use it on images (height, width, channels), channels last")
        }
        let h = oneD ? 1 : inputShape[0], w = inputShape[spatialRank - 1], c = inputShape[spatialRank]
        let oh = h + margins.top + margins.bottom, ow = w + margins.left + margins.right
        guard oh >= 1, ow >= 1 else {
            throw StrataError.invalidModel(
                layer: layer, "\(argument) \(describe) removes all of input \(inputShape)",
                hint: "crop less than the input's size along each axis")
        }
        input = .init(height: h, width: w, channels: c)
        output = .init(height: oh, width: ow, channels: c)
        outputShape = (oneD ? [ow] : [oh, ow]) + [c]
        return outputShape
    }

    private var describe: String {
        let m = [margins.top, margins.bottom, margins.left, margins.right].map(abs)
        return spatialRank == 1 ? "(\(m[2]), \(m[3]))" : "((\(m[0]), \(m[1])), (\(m[2]), \(m[3])))"
    }

    /// The overlap: where it starts in `from` and in `to` (frames with margins `sign` applied), and its size.
    private func overlap(forward: Bool) -> (from: (y: Int, x: Int), to: (y: Int, x: Int), rows: Int, cols: Int) {
        let top = forward ? margins.top : -margins.top, left = forward ? margins.left : -margins.left
        let (src, dst) = forward ? (input, output) : (output, input)
        let from = (y: max(0, -top), x: max(0, -left)), to = (y: max(0, top), x: max(0, left))
        return (from, to, min(src.height - from.y, dst.height - to.y), min(src.width - from.x, dst.width - to.x))
    }

    private func copy(_ src: Tensor, into dst: Tensor, forward: Bool) {
        let o = overlap(forward: forward)
        let (s, d) = forward ? (input, output) : (output, input)
        let batch = src.shape.first ?? 0
        if o.rows < d.height || o.cols < d.width { dst.fill(0) }
        ResamplingKernels.copyBlock(src, s, from: o.from, into: dst, d, to: o.to, rows: o.rows, cols: o.cols, batch: batch)
    }

    func forward(_ x: Tensor, context: LayerContext) -> Tensor {
        let y = workspace.buffer(.output, [x.shape.first ?? 0] + outputShape)
        copy(x, into: y, forward: true)
        return y
    }

    func backward(_ dy: Tensor, context: LayerContext) -> Tensor {
        let shape = [dy.shape.first ?? 0] + (spatialRank == 1 ? [input.width] : [input.height, input.width]) + [input.channels]
        let dx = context.inputGradient(shape, dy: dy, workspace: &workspace, slot: .inputGradient)
        copy(dy, into: dx, forward: false)
        return dx
    }

    /// Reads Keras's `padding` / `cropping` value: one integer (every side), two (1-D: before and after; 2-D:
    /// symmetric height and width), or 2-D `[[top, bottom], [left, right]]`. Returns `(top, bottom, left, right)`.
    static func read(_ c: LayerConfig, _ key: String, spatialRank: Int, default d: Int) throws -> (Int, Int, Int, Int) {
        let expected = spatialRank == 1 ? "an integer or two integers" : "an integer, two integers or two pairs of integers"
        guard let v = c.values[key], v != .null else { return spatialRank == 1 ? (0, 0, d, d) : (d, d, d, d) }
        var pairs: [[Int]] = []
        if let i = v.intValue {
            pairs = [[i, i], [i, i]]
        } else if let a = v.arrayValue, a.count == 2 {
            if let x = a[0].intValue, let y = a[1].intValue {
                pairs = spatialRank == 1 ? [[0, 0], [x, y]] : [[x, x], [y, y]]
            } else if spatialRank == 2, let p = a[0].arrayValue?.compactMap(\.intValue), let q = a[1].arrayValue?.compactMap(\.intValue),
                p.count == 2, q.count == 2
            {
                pairs = [p, q]
            }
        }
        guard pairs.count == 2, pairs.joined().allSatisfy({ $0 >= 0 }) else { throw c.fail(key, "\(expected), not negative") }
        if spatialRank == 1 { pairs[0] = [0, 0] }
        return (pairs[0][0], pairs[0][1], pairs[1][0], pairs[1][1])
    }
}
