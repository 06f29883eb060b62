/// The forward/backward bookkeeping shared by layers that apply an elementwise function with arguments (`ReLU`,
/// `LeakyReLU`, `ELU`): the function and its derivative are the layer's; the buffers and the input and output kept
/// for backward are here, so each such layer only states its formula.
struct ElementwiseCore {
    enum Slot { case output, inputGradient }
    private var workspace = Workspace<Slot>()
    private var lastX: Tensor?
    private var lastY: Tensor?

    /// `y = f(x)` elementwise.
    mutating func forward(_ x: Tensor, _ f: (Float) -> Float) -> Tensor {
        let y = workspace.buffer(.output, x.shape)
        ActivationKernels.apply(x, into: y, f)
        lastX = x
        lastY = y
        return y
    }

    /// `dx = df(x, y, dy)` elementwise, from the last `forward`.
    mutating func backward(_ dy: Tensor, context: LayerContext, _ df: (Float, Float, Float) -> Float) -> Tensor {
        let dx = context.elementwiseGradient(of: dy, workspace: &workspace, slot: .inputGradient)
        ActivationKernels.gradient(x: lastX!, y: lastY!, dy: dy, into: dx, df)
        return dx
    }

    /// For each element of a sample of `inputShape` (row-major), its index in a tensor of `shape` (same rank, each
    /// axis either the input's size or 1) broadcast over the input: PReLU's `alpha`, Normalization's statistics.
    static func broadcastIndex(inputShape: [Int], to shape: [Int]) -> [Int32] {
        (0..<inputShape.reduce(1, *)).map { i in
            var rest = i, index = 0, place = 1
            for a in stride(from: inputShape.count - 1, through: 0, by: -1) {
                let c = rest % inputShape[a]
                rest /= inputShape[a]
                index += (shape[a] == 1 ? 0 : c) * place
                place *= shape[a]
            }
            return Int32(index)
        }
    }

    /// The input of the last `forward`.
    var input: Tensor { lastX! }
    /// The output of the last `forward`.
    var output: Tensor { lastY! }
}
