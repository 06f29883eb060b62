/// Keras `GlobalAveragePooling1D()`: the mean of each channel over all steps, `(steps, channels)` ->
/// `(channels,)` (`keepdims`: `(1, channels)`). Shares `GlobalPooling` with the other global pooling layers.
/// With a timestep mask (`Embedding(maskZero: true)`, `Masking`) the mean is over the kept steps only, as Keras
/// computes it (keras/src/layers/pooling/global_average_pooling1d.py), and the mask ends here.
public final class GlobalAveragePooling1D: Layer, MaskPropagating {
    public let className = "GlobalAveragePooling1D"
    public var name: String
    public let keepdims: Bool
    public let inputSpec: InputSpec?
    private let engine: GlobalPooling
    enum Slot { case maskedOutput, maskedInputGradient }
    private var workspace = Workspace<Slot>()
    /// The mask of the last forward pass's input (nil: the plain mean).
    private var lastMask: Tensor?
    private var steps = 0

    public init(keepdims: Bool = false, inputShape: [Int]? = nil, name: String = "") {
        self.keepdims = keepdims
        self.name = name
        engine = GlobalPooling(kind: .average, spatialRank: 1, keepdims: keepdims)
        inputSpec = inputShape.map { InputSpec(shape: $0) }
    }

    public var weightHandles: [ParameterHandle] { [] }

    public func build(inputShape: [Int], weights: inout WeightAllocator) throws -> [Int] {
        steps = inputShape.first ?? 0
        return try engine.build(layer: name, className: className, inputShape: inputShape)
    }

    public func forward(_ x: Tensor, context: LayerContext) -> Tensor {
        lastMask = context.mask
        guard let mask = context.mask else { return engine.forward(x) }
        let n = x.shape[0], channels = x.shape.last!
        let y = workspace.buffer(.maskedOutput, [n] + engine.outputShape)
        Kernels.maskedAverageSteps(x, mask: mask, rows: n, steps: steps, channels: channels, into: y)
        return y
    }

    public func backward(_ dy: Tensor, context: LayerContext) -> Tensor {
        guard let mask = lastMask else { return engine.backward(dy, context: context) }
        let n = dy.shape[0], channels = dy.shape.last!
        let dx = workspace.buffer(.maskedInputGradient, [n, steps, channels])
        Kernels.maskedAverageStepsBackward(dy, mask: mask, rows: n, steps: steps, channels: channels, into: dx)
        return dx
    }

    public func outputMask(inputMask: Tensor?) -> Tensor? { nil }
    public func carriesMask(inputCarriesMask: Bool) -> Bool { false }

    public var config: [String: JSONValue] { engine.config }
}

extension GlobalAveragePooling1D: ConfigurableLayer {
    public static let kerasClassName = "GlobalAveragePooling1D"
    public convenience init(config c: LayerConfig) throws {
        self.init(keepdims: try GlobalPooling.keepdims(c), inputShape: try c.inputArguments().inputShape)
    }
}
