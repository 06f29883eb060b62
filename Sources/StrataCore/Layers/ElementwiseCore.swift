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

    /// The input of the last `forward`.
    var input: Tensor { lastX! }
    /// The output of the last `forward`.
    var output: Tensor { lastY! }
}
