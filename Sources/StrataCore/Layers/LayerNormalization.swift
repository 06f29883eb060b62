/// Keras `LayerNormalization(axis: -1, epsilon: 1e-3, center, scale)` (keras/src/layers/normalization/
/// layer_normalization.py, `ops.layer_normalization`): each sample is normalized over `axis` (one axis or a list),
/// `y = gamma (x - mean) / sqrt(var + epsilon) + beta`, with the biased variance. `gamma` and `beta` have the
/// shape of the normalized axes (in Keras's sorted-axis order; their scalars broadcast in positional order, as
/// Keras's reshape does).
///
/// `rmsScaling` is Keras 3's (deprecated) `rms_scaling=True`: `y = gamma x / sqrt(var + epsilon)` — scaled by the
/// variance, not centered, no `beta` — exactly what Keras computes. Per-sample, so it needs nothing from other ranks.
public final class LayerNormalization: Layer {
    public let className = "LayerNormalization"
    public var name: String
    /// Keras's axes (counting the batch axis), as given.
    public let axis: [Int]
    public let epsilon: Double
    public let center: Bool
    public let scale: Bool
    public let rmsScaling: Bool
    public let betaInitializer: Initializer
    public let gammaInitializer: Initializer
    public let inputSpec: InputSpec?
    public let inputError: StrataError?

    public private(set) var weightHandles: [ParameterHandle] = []
    /// Keras's `gamma_regularizer`, `beta_regularizer`, `gamma_constraint`, `beta_constraint` (the kernel and bias
    /// slots) and `activity_regularizer`; set before the model is built.
    public var regularization = WeightRegularization()
    private var gamma: ParameterHandle?
    private var beta: ParameterHandle?
    private var groups = Kernels.NormalizationGroups(group: [], weight: [], groupsPerSample: 0, groupSize: 0)
    enum Slot { case output, inputGradient }
    private var workspace = Workspace<Slot>()
    private var mean: [Float] = [], inv: [Float] = [], sums: [Double] = []
    private var lastInput: Tensor?

    public init(
        axis: [Int] = [-1], epsilon: Double = 1e-3, center: Bool = true, scale: Bool = true, rmsScaling: Bool = false,
        betaInitializer: Initializer = .zeros, gammaInitializer: Initializer = .ones,
        inputShape: [Int]? = nil, batchSize: Int? = nil, batchInputShape: [Int]? = nil, name: String = ""
    ) {
        self.axis = axis
        self.epsilon = epsilon
        self.center = center
        self.scale = scale
        self.rmsScaling = rmsScaling
        self.betaInitializer = betaInitializer
        self.gammaInitializer = gammaInitializer
        self.name = name
        switch InputSpec.resolve(
            layer: name.isEmpty ? "LayerNormalization" : name, inputShape: inputShape, inputDim: nil,
            batchSize: batchSize, batchInputShape: batchInputShape)
        {
        case let .success(s): inputSpec = s; inputError = nil
        case let .failure(e): inputSpec = nil; inputError = e
        }
    }

    /// `LayerNormalization(axis: 1)`: one axis.
    public convenience init(
        axis: Int, epsilon: Double = 1e-3, center: Bool = true, scale: Bool = true, rmsScaling: Bool = false,
        betaInitializer: Initializer = .zeros, gammaInitializer: Initializer = .ones,
        inputShape: [Int]? = nil, name: String = ""
    ) {
        self.init(
            axis: [axis], epsilon: epsilon, center: center, scale: scale, rmsScaling: rmsScaling,
            betaInitializer: betaInitializer, gammaInitializer: gammaInitializer, inputShape: inputShape, name: name)
    }

    public func build(inputShape: [Int], weights: inout WeightAllocator) throws -> [Int] {
        if let inputError { throw inputError }
        guard !axis.isEmpty else {
            throw StrataError.invalidModel(layer: name, "axis is an empty list", hint: "give at least one axis, e.g. -1")
        }
        guard epsilon > 0 else {
            throw StrataError.invalidModel(layer: name, "epsilon must be positive, got \(epsilon)", hint: "use e.g. epsilon: 1e-3")
        }
        let positions = try axis.map { try BatchNormalization.sampleAxis($0, inputShape: inputShape, layer: name) }
        guard Set(positions).count == positions.count else {
            throw StrataError.invalidModel(layer: name, "axis \(axis) names an axis twice", hint: "list each axis once")
        }
        // Keras: the weights' shape follows sorted(axis) as given; their scalars are laid out positionally.
        let position = Dictionary(uniqueKeysWithValues: zip(axis, positions))
        let shape = axis.sorted().map { inputShape[position[$0]!] }
        groups = Self.groups(inputShape: inputShape, normalized: Set(positions))
        weightHandles = []
        if scale || rmsScaling {
            gamma = weights.add("gamma", shape: shape, initializer: gammaInitializer, regularization: regularization, slot: .kernel)
            weightHandles.append(gamma!)
        }
        if center && !rmsScaling {
            beta = weights.add("beta", shape: shape, initializer: betaInitializer, regularization: regularization, slot: .bias)
            weightHandles.append(beta!)
        }
        sums = [Double](repeating: 0, count: 2 * groups.groupsPerSample)
        return inputShape
    }

    /// Each element's group (row-major over the axes not normalized) and weight index (row-major over the
    /// normalized axes).
    static func groups(inputShape: [Int], normalized: Set<Int>) -> Kernels.NormalizationGroups {
        let size = inputShape.reduce(1, *)
        var group = [Int32](repeating: 0, count: size), weight = [Int32](repeating: 0, count: size)
        var index = [Int](repeating: 0, count: inputShape.count)
        for e in 0..<size {
            var g = 0, w = 0
            for (k, n) in inputShape.enumerated() {
                if normalized.contains(k) { w = w * n + index[k] } else { g = g * n + index[k] }
            }
            group[e] = Int32(g)
            weight[e] = Int32(w)
            var k = inputShape.count - 1  // next index, row-major
            while k >= 0 {
                index[k] += 1
                if index[k] < inputShape[k] { break }
                index[k] = 0
                k -= 1
            }
        }
        let groupSize = normalized.map { inputShape[$0] }.reduce(1, *)
        return .init(group: group, weight: weight, groupsPerSample: size / groupSize, groupSize: groupSize)
    }

    public func forward(_ x: Tensor, context: LayerContext) -> Tensor {
        let samples = x.shape.first ?? 0, p = context.parameters
        let count = samples * groups.groupsPerSample
        if mean.count < count {
            mean = [Float](repeating: 0, count: count)
            inv = mean
        }
        Kernels.groupMoments(x, groups, samples: samples, epsilon: Float(epsilon), mean: &mean, inv: &inv, sums: &sums)
        let y = workspace.buffer(.output, x.shape)
        Kernels.groupNormalize(
            x, into: y, groups, samples: samples, mean: mean, inv: inv, gamma: gamma.map { p.value($0) },
            beta: beta.map { p.value($0) }, rmsScaling: rmsScaling)
        lastInput = x
        return y
    }

    public func backward(_ dy: Tensor, context: LayerContext) -> Tensor {
        let x = lastInput!, p = context.parameters
        let dx = context.needsInputGradient ? context.inputGradient(x.shape, dy: dy, workspace: &workspace, slot: .inputGradient) : nil
        Kernels.groupNormalizeGradient(
            dy, x, into: dx, groups, samples: x.shape.first ?? 0, mean: mean, inv: inv, gamma: gamma.map { p.value($0) },
            dgamma: gamma.map { p.gradient($0) }, dbeta: beta.map { p.gradient($0) }, rmsScaling: rmsScaling,
            sums: &sums)
        return dx ?? workspace.buffer(.inputGradient, [0])
    }

    /// Backward reads the input, not the output: the next layer may write over the output.
    public var backwardReadsOutput: Bool { false }

    /// `rms_scaling` is written only when set: tf-keras refuses the key, and Keras 3 defaults it to false.
    public var config: [String: JSONValue] {
        var c: [String: JSONValue] = [
            "axis": JSONValue(axis), "epsilon": JSONValue(epsilon), "center": .bool(center), "scale": .bool(scale),
            "beta_initializer": .string(betaInitializer.kerasName), "gamma_initializer": .string(gammaInitializer.kerasName),
        ]
        if rmsScaling { c["rms_scaling"] = .bool(true) }
        return c.merging(regularization.config(kernel: "gamma", bias: "beta")) { a, _ in a }
    }
}

extension LayerNormalization: ConfigurableLayer {
    public static let kerasClassName = "LayerNormalization"
    public convenience init(config c: LayerConfig) throws {
        try c.checkArguments(
            Set(["axis", "epsilon", "center", "scale", "rms_scaling", "beta_initializer", "gamma_initializer"])
                .union(WeightRegularization.keys(kernel: "gamma", bias: "beta")))
        let io = try c.inputArguments()
        self.init(
            axis: try c.ints("axis") ?? [-1], epsilon: try c.double("epsilon") ?? 1e-3, center: try c.bool("center") ?? true,
            scale: try c.bool("scale") ?? true, rmsScaling: try c.bool("rms_scaling") ?? false,
            betaInitializer: try c.initializer("beta_initializer", default: .zeros),
            gammaInitializer: try c.initializer("gamma_initializer", default: .ones),
            inputShape: io.inputShape, batchSize: io.batchSize, batchInputShape: io.batchInputShape)
        regularization = try WeightRegularization(config: c, kernel: "gamma", bias: "beta")
    }
}

extension LayerNormalization: GammaBetaRegularizable {}
