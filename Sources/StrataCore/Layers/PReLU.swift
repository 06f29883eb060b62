/// Keras `PReLU(alpha_initializer="Zeros", alpha_regularizer, alpha_constraint, shared_axes)`:
/// `f(x) = max(x, 0) - alpha * max(-x, 0)` with a trainable `alpha` of the input's shape, of size 1 along the
/// `shared_axes` (1-based: axis 1 is the first after the batch) (keras/src/layers/activations/prelu.py).
/// `df/dx = x > 0 ? 1 : alpha`, `df/dalpha = min(x, 0)`, summed over the batch and the shared axes.
public final class PReLU: Layer {
    public let className = "PReLU"
    public var name: String
    public let alphaInitializer: Initializer
    public let alphaRegularizer: Regularizer?
    public let alphaConstraint: Constraint?
    public let sharedAxes: [Int]?
    public let inputSpec: InputSpec?
    public private(set) var weightHandles: [ParameterHandle] = []
    private var alpha: ParameterHandle?
    /// The `alpha` index of each element of one sample (the broadcast over the shared axes).
    private var alphaIndex: [Int32] = []
    enum Slot { case output, inputGradient }
    private var workspace = Workspace<Slot>()
    private var lastX: Tensor?

    public init(
        alphaInitializer: Initializer = .zeros, alphaRegularizer: Regularizer? = nil, alphaConstraint: Constraint? = nil,
        sharedAxes: [Int]? = nil, inputShape: [Int]? = nil, name: String = ""
    ) {
        self.alphaInitializer = alphaInitializer
        self.alphaRegularizer = alphaRegularizer
        self.alphaConstraint = alphaConstraint
        self.sharedAxes = sharedAxes
        self.name = name
        inputSpec = inputShape.map { InputSpec(shape: $0) }
    }

    public func build(inputShape: [Int], weights: inout WeightAllocator) throws -> [Int] {
        var shape = inputShape
        for a in sharedAxes ?? [] {
            guard a >= 1 && a <= inputShape.count else {
                throw StrataError.invalidModel(
                    layer: name, "shared axis \(a) is not an axis of the input \(inputShape) (1-based, batch excluded)",
                    hint: "use axes in 1...\(inputShape.count)")
            }
            shape[a - 1] = 1
        }
        let h = weights.add(
            "alpha", shape: shape, initializer: alphaInitializer, regularizer: alphaRegularizer, constraint: alphaConstraint)
        alpha = h
        weightHandles = [h]
        alphaIndex = ElementwiseCore.broadcastIndex(inputShape: inputShape, to: shape)
        return inputShape
    }

    public func forward(_ x: Tensor, context: LayerContext) -> Tensor {
        let y = workspace.buffer(.output, x.shape)
        ActivationKernels.prelu(x, alpha: context.parameters.value(alpha!), index: alphaIndex, into: y)
        lastX = x
        return y
    }

    public func backward(_ dy: Tensor, context: LayerContext) -> Tensor {
        let p = context.parameters
        let dx = context.elementwiseGradient(of: dy, workspace: &workspace, slot: .inputGradient)
        ActivationKernels.preluGradient(
            x: lastX!, alpha: p.value(alpha!), index: alphaIndex, dy: dy, into: dx, alphaGradient: p.gradient(alpha!))
        return dx
    }

    /// Keras's initializer config: `Constant` carries its value; the others here take none.
    private var initializerConfig: JSONValue {
        if case let .constant(v) = alphaInitializer { return ["value": JSONValue(v)] }
        if case let .uniform(lo, hi) = alphaInitializer { return ["minval": JSONValue(lo), "maxval": JSONValue(hi)] }
        return [:]
    }

    public var config: [String: JSONValue] {
        var c: [String: JSONValue] = [
            "alpha_initializer": ["class_name": .string(alphaInitializer.kerasName), "config": initializerConfig],
            "shared_axes": sharedAxes.map { JSONValue($0) } ?? .null,
        ]
        if let alphaRegularizer { c["alpha_regularizer"] = alphaRegularizer.kerasConfig }
        if let alphaConstraint { c["alpha_constraint"] = alphaConstraint.kerasConfig }
        return c
    }
}

extension PReLU: ConfigurableLayer {
    public static let kerasClassName = "PReLU"
    public convenience init(config c: LayerConfig) throws {
        try c.checkArguments(["alpha_initializer", "alpha_regularizer", "alpha_constraint", "shared_axes"])
        self.init(
            alphaInitializer: try c.initializer("alpha_initializer", default: .zeros),
            alphaRegularizer: try c.regularizer("alpha_regularizer"), alphaConstraint: try c.constraint("alpha_constraint"),
            sharedAxes: try c.ints("shared_axes"), inputShape: try c.inputArguments().inputShape)
    }
}
