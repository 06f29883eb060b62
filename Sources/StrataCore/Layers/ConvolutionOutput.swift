/// The end of the convolution variants (transposed, depthwise, separable): `y = activation(z)` where `z` already
/// holds the bias and the convolution, and the start of their backward pass, `dz = dy * activation'(z)` with the
/// bias gradient `db += sum over positions of dz`. It keeps `z` and `y` for the gradient.
struct ConvolutionOutput {
    let activation: ActivationFunction
    enum Slot { case preActivation, output, activationGradient }
    private var workspace = Workspace<Slot>()
    private var z = Tensor(zeros: [0])
    private var y = Tensor(zeros: [0])

    init(activation: ActivationFunction) { self.activation = activation }

    /// The buffer the caller writes `z` into (`shape` with the batch axis).
    mutating func preActivation(_ shape: [Int]) -> Tensor {
        z = workspace.buffer(.preActivation, shape)
        return z
    }

    /// `activation(z)` for the `z` just written (`z` itself when linear).
    mutating func output() -> Tensor {
        y = activation == .linear ? z : workspace.buffer(.output, z.shape)
        if activation != .linear { activation.apply(z, into: y) }
        return y
    }

    /// `dz` for `dy` (`dy` itself when linear); adds the sums of `dz` over positions into `bias` when given.
    /// `channels` is the last axis of `z`.
    mutating func gradient(_ dy: Tensor, channels: Int, bias: Tensor?, context: LayerContext) -> Tensor {
        let dz = activation == .linear ? dy : context.elementwiseGradient(of: dy, workspace: &workspace, slot: .activationGradient)
        if activation != .linear { activation.gradient(x: z, y: y, dy: dy, into: dz) }
        if let bias { Kernels.accumulateColumnSums(dz, rows: channels == 0 ? 0 : dz.count / channels, cols: channels, into: bias) }
        return dz
    }
}
