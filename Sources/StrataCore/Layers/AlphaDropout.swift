/// Keras `AlphaDropout(rate)` (keras/src/layers/regularization/alpha_dropout.py), for SELU networks: dropped values
/// become `alpha_p = -1.6732632 * 1.0507010`, then `y = a * x' + b` with `a = ((1 - rate)(1 + rate alpha_p^2))^-1/2`,
/// `b = -a alpha_p rate`, keeping the mean and variance. Active only in training; the mask is Dropout's (seed, layer,
/// step, global element), so 1 and N ranks agree. `dx = dy * (kept ? a : 0)`.
public final class AlphaDropout: Layer {
    public let className = "AlphaDropout"
    public var name: String
    public let rate: Float
    public let inputSpec: InputSpec?
    enum Slot { case output, inputGradient }
    private var workspace = Workspace<Slot>()
    private var active = false
    private var kept: [UInt8] = []

    public init(_ rate: Float, inputShape: [Int]? = nil, name: String = "") {
        self.rate = rate
        self.name = name
        inputSpec = inputShape.map { InputSpec(shape: $0) }
    }

    public var weightHandles: [ParameterHandle] { [] }

    public func build(inputShape: [Int], weights: inout WeightAllocator) throws -> [Int] {
        guard rate >= 0 && rate < 1 else {
            throw StrataError.invalidModel(layer: name, "rate must be in [0, 1), got \(rate)", hint: "use e.g. AlphaDropout(0.1)")
        }
        return inputShape
    }

    private var coefficients: (a: Float, b: Float, alphaP: Float) {
        let alphaP = -ActivationFunction.seluAlpha * ActivationFunction.seluScale
        let a = 1 / ((1 - rate) * (1 + rate * alphaP * alphaP)).squareRoot()
        return (a, -a * alphaP * rate, alphaP)
    }

    public func forward(_ x: Tensor, context: LayerContext) -> Tensor {
        active = context.training && rate > 0
        guard active else { return x }
        let mask = Dropout.Mask(rate: rate, context: context, rowSize: x.rowSize)
        let y = context.output(over: x, workspace: &workspace, slot: .output)
        if kept.count < x.count { kept = [UInt8](repeating: 0, count: x.count) }
        let (a, b, alphaP) = coefficients
        Kernels.alphaDropout(x, into: y, mask: mask, a: a, b: b, alphaP: alphaP, recording: &kept)
        return y
    }

    public func backward(_ dy: Tensor, context: LayerContext) -> Tensor {
        guard active else { return dy }
        let dx = context.elementwiseGradient(of: dy, workspace: &workspace, slot: .inputGradient)
        Kernels.maskedGradient(dy, into: dx, scale: coefficients.a, recorded: kept)
        return dx
    }

    public var config: [String: JSONValue] { ["rate": JSONValue(rate)] }
}

extension AlphaDropout: ConfigurableLayer {
    public static let kerasClassName = "AlphaDropout"
    public convenience init(config c: LayerConfig) throws {
        try c.checkArguments(
            ["rate", "seed"],
            unsupported: [UnsupportedArgument("noise_shape", hint: "Strata draws one mask value per element: remove noise_shape")])
        guard let r = try c.double("rate") else { throw c.fail("rate", "a number in [0, 1) (it is required)") }
        self.init(Float(r), inputShape: try c.inputArguments().inputShape)
    }
}
