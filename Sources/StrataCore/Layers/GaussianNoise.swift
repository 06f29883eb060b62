/// Keras `GaussianNoise(stddev)` and `GaussianDropout(rate)` (keras/src/layers/regularization/gaussian_noise.py,
/// gaussian_dropout.py), active only in training:
/// - `GaussianNoise`: `y = x + stddev * n`, `dx = dy`;
/// - `GaussianDropout`: `y = x * (1 + s * n)` with `s = sqrt(rate / (1 - rate))`, `dx = dy * (1 + s * n)`;
/// `n ~ N(0, 1)` per element, a pure function of (seed, layer, step, the element's GLOBAL position in the batch), so
/// 1 and N ranks draw the same noise.
public class GaussianNoiseLayer: Layer {
    public var className: String { multiplicative ? "GaussianDropout" : "GaussianNoise" }
    public var name: String
    /// `stddev` (GaussianNoise) or `rate` (GaussianDropout), as given.
    public let amount: Float
    let multiplicative: Bool
    public let inputSpec: InputSpec?
    enum Slot { case output, factors, inputGradient }
    private var workspace = Workspace<Slot>()
    private var factors: Tensor?

    init(amount: Float, multiplicative: Bool, inputShape: [Int]?, name: String) {
        self.amount = amount
        self.multiplicative = multiplicative
        self.name = name
        inputSpec = inputShape.map { InputSpec(shape: $0) }
    }

    public var weightHandles: [ParameterHandle] { [] }

    public func build(inputShape: [Int], weights: inout WeightAllocator) throws -> [Int] {
        if multiplicative {
            guard amount >= 0 && amount < 1 else {
                throw StrataError.invalidModel(layer: name, "rate must be in [0, 1), got \(amount)", hint: "use e.g. GaussianDropout(0.1)")
            }
        } else if !(amount >= 0) {
            throw StrataError.invalidModel(layer: name, "stddev must be >= 0, got \(amount)", hint: "use e.g. GaussianNoise(0.1)")
        }
        return inputShape
    }

    private var stddev: Float { multiplicative ? (amount / (1 - amount)).squareRoot() : amount }

    public func forward(_ x: Tensor, context: LayerContext) -> Tensor {
        factors = nil
        guard context.training && amount > 0 else { return x }
        let rng = CounterRandom(seed: context.seed, stream: 0x4E4F_4953_45 &+ UInt64(context.layerIndex)).derived(UInt64(context.step))
        let y = context.output(over: x, workspace: &workspace, slot: .output)
        let f = multiplicative ? workspace.buffer(.factors, x.shape) : nil
        Kernels.gaussianNoise(
            x, into: y, rng: rng, first: context.firstRow * x.rowSize, stddev: stddev, multiplicative: multiplicative, factors: f)
        factors = f
        return y
    }

    public func backward(_ dy: Tensor, context: LayerContext) -> Tensor {
        guard let factors else { return dy }
        let dx = context.elementwiseGradient(of: dy, workspace: &workspace, slot: .inputGradient)
        Kernels.multiply(dy, factors, into: dx)
        return dx
    }

    public var config: [String: JSONValue] { [multiplicative ? "rate" : "stddev": JSONValue(amount)] }
}

/// Keras `GaussianNoise(stddev)`: additive `N(0, stddev)` noise in training.
public final class GaussianNoise: GaussianNoiseLayer, ConfigurableLayer {
    public static let kerasClassName = "GaussianNoise"
    public init(_ stddev: Float, inputShape: [Int]? = nil, name: String = "") {
        super.init(amount: stddev, multiplicative: false, inputShape: inputShape, name: name)
    }
    public convenience init(config c: LayerConfig) throws {
        try c.checkArguments(["stddev", "seed"])
        guard let s = try c.double("stddev") else { throw c.fail("stddev", "a number >= 0 (it is required)") }
        self.init(Float(s), inputShape: try c.inputArguments().inputShape)
    }
}

/// Keras `GaussianDropout(rate)`: multiplicative noise of mean 1 and standard deviation `sqrt(rate / (1 - rate))`.
public final class GaussianDropout: GaussianNoiseLayer, ConfigurableLayer {
    public static let kerasClassName = "GaussianDropout"
    public init(_ rate: Float, inputShape: [Int]? = nil, name: String = "") {
        super.init(amount: rate, multiplicative: true, inputShape: inputShape, name: name)
    }
    public convenience init(config c: LayerConfig) throws {
        try c.checkArguments(["rate", "seed"])
        guard let r = try c.double("rate") else { throw c.fail("rate", "a number in [0, 1) (it is required)") }
        self.init(Float(r), inputShape: try c.inputArguments().inputShape)
    }
}
