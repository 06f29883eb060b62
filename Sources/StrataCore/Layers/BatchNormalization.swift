/// Keras `BatchNormalization(axis: -1, momentum: 0.99, epsilon: 1e-3, center, scale)`
/// (keras/src/layers/normalization/batch_normalization.py).
///
/// Training: `y = gamma (x - mean) / sqrt(var + epsilon) + beta` with the batch's per-channel `mean` and biased
/// `var` (over every axis but `axis`), then `moving_mean = moving_mean * momentum + mean * (1 - momentum)` and
/// likewise `moving_variance` with the biased `var`, as Keras 3 does. Inference (`evaluate`, `predict`) uses
/// `moving_mean` and `moving_variance` instead. Weights, in Keras's order and names: `gamma` (`scale`), `beta`
/// (`center`), then the non-trainable `moving_mean` and `moving_variance`, which the optimizer never touches.
///
/// Under several ranks the statistics are those of the GLOBAL batch, as Keras's `synchronized=True`: forward
/// all-reduces `[sum x, sum x^2, count]` per channel (`var = E[x^2] - E[x]^2`, Keras's synchronized formula) and
/// backward `[sum dy, sum dy (x - mean)]`, so 1, 2 and 3 ranks give the same weights (`GlobalBatchStatistics`).
///
/// Under a timestep mask `m` (inputs `(timesteps, channels)`), training takes the moments over the kept steps only,
/// as Keras's `_moments(inputs, mask)`: `mean = sum(m x) / (sum(m) + 1e-7)`, `var = sum(m (x - mean)^2) / (sum(m) +
/// 1e-7)` (from the same all-reduced sums, `sum(m)` as the count), and the gradient's batch terms weigh each step
/// by `m`; every step is still normalized, and the mask passes on.
public final class BatchNormalization: GlobalBatchStatistics {
    public let className = "BatchNormalization"
    public var name: String
    public let axis: Int
    public let momentum: Double
    public let epsilon: Double
    public let center: Bool
    public let scale: Bool
    public let betaInitializer: Initializer
    public let gammaInitializer: Initializer
    public let movingMeanInitializer: Initializer
    public let movingVarianceInitializer: Initializer
    public let inputSpec: InputSpec?
    public let inputError: StrataError?

    public private(set) var weightHandles: [ParameterHandle] = []
    /// Keras's `gamma_regularizer`, `beta_regularizer`, `gamma_constraint`, `beta_constraint` (the kernel and bias
    /// slots) and `activity_regularizer`; set before the model is built.
    public var regularization = WeightRegularization()
    private var gamma: ParameterHandle?
    private var beta: ParameterHandle?
    private var movingMean: ParameterHandle!
    private var movingVariance: ParameterHandle!
    /// The input viewed as `blocks x channels x inner` per sample (`blocksPerSample` blocks).
    private var blocksPerSample = 1, channels = 0, inner = 1
    enum Slot { case output, inputGradient }
    private var workspace = Workspace<Slot>()
    /// Per-channel buffers reused across steps: the sums (all-reduced), the batch mean, `1 / sqrt(var + eps)`,
    /// the affine form's scale and shift, and the input gradient's coefficients.
    private var sums: [Double] = []
    private var mean: [Float] = [], inv: [Float] = [], a: [Float] = [], b: [Float] = [], d: [Float] = []
    private var globalCount = 0.0
    private var lastInput: Tensor?
    /// Whether the last forward used the batch statistics (training) rather than the moving ones.
    private var usedBatchStatistics = false
    /// The timestep mask the last training forward weighed its moments by (nil: none).
    private var momentMask: Tensor?
    /// Whether a timestep mask can weigh the moments: inputs `(timesteps, channels)` normalized over the last axis.
    public private(set) var weighsMomentsByMask = false

    public init(
        axis: Int = -1, momentum: Double = 0.99, epsilon: Double = 1e-3, center: Bool = true, scale: Bool = true,
        betaInitializer: Initializer = .zeros, gammaInitializer: Initializer = .ones,
        movingMeanInitializer: Initializer = .zeros, movingVarianceInitializer: Initializer = .ones,
        inputShape: [Int]? = nil, batchSize: Int? = nil, batchInputShape: [Int]? = nil, name: String = ""
    ) {
        self.axis = axis
        self.momentum = momentum
        self.epsilon = epsilon
        self.center = center
        self.scale = scale
        self.betaInitializer = betaInitializer
        self.gammaInitializer = gammaInitializer
        self.movingMeanInitializer = movingMeanInitializer
        self.movingVarianceInitializer = movingVarianceInitializer
        self.name = name
        switch InputSpec.resolve(
            layer: name.isEmpty ? "BatchNormalization" : name, inputShape: inputShape, inputDim: nil,
            batchSize: batchSize, batchInputShape: batchInputShape)
        {
        case let .success(s): inputSpec = s; inputError = nil
        case let .failure(e): inputSpec = nil; inputError = e
        }
    }

    public func build(inputShape: [Int], weights: inout WeightAllocator) throws -> [Int] {
        if let inputError { throw inputError }
        let a = try Self.sampleAxis(axis, inputShape: inputShape, layer: name)
        guard epsilon > 0 else {
            throw StrataError.invalidModel(layer: name, "epsilon must be positive, got \(epsilon)", hint: "use e.g. epsilon: 1e-3")
        }
        blocksPerSample = inputShape[..<a].reduce(1, *)
        channels = inputShape[a]
        inner = inputShape[(a + 1)...].reduce(1, *)
        weighsMomentsByMask = inputShape.count == 2 && a == 1
        weightHandles = []
        if scale {
            gamma = weights.add(
                "gamma", shape: [channels], initializer: gammaInitializer, regularization: regularization, slot: .kernel)
            weightHandles.append(gamma!)
        }
        if center {
            beta = weights.add(
                "beta", shape: [channels], initializer: betaInitializer, regularization: regularization, slot: .bias)
            weightHandles.append(beta!)
        }
        movingMean = weights.add("moving_mean", shape: [channels], initializer: movingMeanInitializer, trainable: false)
        movingVariance = weights.add(
            "moving_variance", shape: [channels], initializer: movingVarianceInitializer, trainable: false)
        weightHandles += [movingMean, movingVariance]
        sums = [Double](repeating: 0, count: 2 * channels + 1)
        for buffer in [\BatchNormalization.mean, \.inv, \.a, \.b, \.d] { self[keyPath: buffer] = [Float](repeating: 0, count: channels) }
        return inputShape
    }

    /// The position within a sample's shape of Keras's `axis` (which counts the batch axis: -1 is the last, 1 the
    /// first after the batch); the batch axis itself cannot be normalized over in a Sequential model's layer.
    static func sampleAxis(_ axis: Int, inputShape: [Int], layer: String) throws -> Int {
        let rank = inputShape.count + 1
        let k = axis < 0 ? axis + rank : axis
        guard k >= 1 && k < rank else {
            throw StrataError.invalidModel(
                layer: layer,
                "axis \(axis) is out of range for inputs of shape (batch, \(inputShape.map(String.init).joined(separator: ", ")))",
                hint: "use -1 (the last axis) or an axis from 1 to \(rank - 1); axis 0 is the batch")
        }
        return k - 1
    }

    public func forward(_ x: Tensor, context: LayerContext) -> Tensor {
        let p = context.parameters
        let samples = x.shape.first ?? 0
        let blocks = samples * blocksPerSample
        lastInput = x
        usedBatchStatistics = context.training
        let g = gamma.map { p.value($0) }, bt = beta.map { p.value($0) }
        let mm = p.value(movingMean), mv = p.value(movingVariance)
        momentMask = context.training && weighsMomentsByMask ? context.mask : nil
        if context.training {
            for i in 0..<sums.count { sums[i] = 0 }
            Kernels.channelMoments(x, blocks: blocks, channels: channels, inner: inner, weights: momentMask, into: &sums)
            sums[2 * channels] = momentMask.map { Kernels.sum($0) } ?? Double(blocks * inner)
            context.sumOverRanks?(&sums)
            globalCount = sums[2 * channels]
            // Keras's masked moments divide by `sum(m) + epsilon()`: `var = (Q - 2 mean S + mean^2 W) / (W + 1e-7)`.
            let denominator = momentMask == nil ? globalCount : globalCount + 1e-7
            let keep = Float(momentum), take = Float(1 - momentum)
            for c in 0..<channels where globalCount > 0 {
                let m = sums[c] / denominator
                let q = sums[channels + c]
                let v = max(momentMask == nil ? q / globalCount - m * m : (q - 2 * m * sums[c] + m * m * globalCount) / denominator, 0)
                mean[c] = Float(m)
                inv[c] = 1 / (Float(v) + Float(epsilon)).squareRoot()
                mm[flat: c] = mm[flat: c] * keep + Float(m) * take
                mv[flat: c] = mv[flat: c] * keep + Float(v) * take
            }
        } else {
            for c in 0..<channels {
                mean[c] = mm[flat: c]
                inv[c] = 1 / (mv[flat: c] + Float(epsilon)).squareRoot()
            }
        }
        // tf.nn.batch_normalization: inv = rsqrt(var + eps) * gamma; y = x * inv + (beta - mean * inv).
        for c in 0..<channels {
            a[c] = g.map { inv[c] * $0[flat: c] } ?? inv[c]
            b[c] = (bt?[flat: c] ?? 0) - mean[c] * a[c]
        }
        let y = workspace.buffer(.output, x.shape)
        Kernels.channelAffine(x, into: y, scale: a, shift: b, blocks: blocks, channels: channels, inner: inner)
        return y
    }

    /// With `S1 = sum dy`, `S2 = sum dy (x - mean)` over the global batch of `N` values per channel and
    /// `r = 1 / sqrt(var + eps)`: `dx = gamma r dy - gamma r S1 / N - gamma r^3 S2 / N (x - mean)`, `dgamma += r S2`
    /// and `dbeta += S1` (this rank's sums: the gradient all-reduce adds the others'). With the moving statistics
    /// (training=false) `dx = gamma r dy`. Under a mask the two batch terms of `dx` are multiplied by the step's `m`
    /// and `N` is `sum(m)` (the `1e-7` of Keras's denominators left out: a 1e-8 relative change).
    public func backward(_ dy: Tensor, context: LayerContext) -> Tensor {
        let x = lastInput!, p = context.parameters
        let blocks = (x.shape.first ?? 0) * blocksPerSample
        for i in 0..<sums.count { sums[i] = 0 }
        Kernels.channelGradientSums(dy, x, mean: mean, blocks: blocks, channels: channels, inner: inner, into: &sums)
        if let gamma {
            let dg = p.gradient(gamma)
            for c in 0..<channels { dg[flat: c] += Float(sums[channels + c]) * inv[c] }
        }
        if let beta {
            let db = p.gradient(beta)
            for c in 0..<channels { db[flat: c] += Float(sums[c]) }
        }
        guard context.needsInputGradient else { return workspace.buffer(.inputGradient, [0]) }
        if usedBatchStatistics { context.sumOverRanks?(&sums) }
        if globalCount == 0 && usedBatchStatistics {
            return context.inputGradient(x.shape, dy: dy, workspace: &workspace, slot: .inputGradient)
        }
        let g = gamma.map { p.value($0) }
        for c in 0..<channels {
            let gr = g.map { $0[flat: c] * inv[c] } ?? inv[c]
            a[c] = gr
            if usedBatchStatistics {
                b[c] = -gr * inv[c] * inv[c] * Float(sums[channels + c] / globalCount)
                d[c] = -gr * Float(sums[c] / globalCount)
            } else {
                b[c] = 0
                d[c] = 0
            }
        }
        let dx = context.inputGradient(x.shape, dy: dy, workspace: &workspace, slot: .inputGradient)
        Kernels.channelInputGradient(
            dy, x, into: dx, mean: mean, a: a, b: b, d: d, blocks: blocks, channels: channels, inner: inner,
            weights: usedBatchStatistics ? momentMask : nil)
        return dx
    }

    /// Backward reads the input, not the output: the next layer may write over the output.
    public var backwardReadsOutput: Bool { false }

    public var config: [String: JSONValue] {
        [
            "axis": JSONValue(axis), "momentum": JSONValue(momentum), "epsilon": JSONValue(epsilon),
            "center": .bool(center), "scale": .bool(scale), "synchronized": .bool(true),
            "beta_initializer": .string(betaInitializer.kerasName), "gamma_initializer": .string(gammaInitializer.kerasName),
            "moving_mean_initializer": .string(movingMeanInitializer.kerasName),
            "moving_variance_initializer": .string(movingVarianceInitializer.kerasName),
        ].merging(regularization.config(kernel: "gamma", bias: "beta")) { a, _ in a }
    }
}

extension BatchNormalization: ConfigurableLayer {
    public static let kerasClassName = "BatchNormalization"
    /// `synchronized` is accepted either way: Strata's statistics are always the global batch's (on one process
    /// that is what Keras computes with either value).
    public convenience init(config c: LayerConfig) throws {
        try c.checkArguments(
            Set([
                "axis", "momentum", "epsilon", "center", "scale", "beta_initializer", "gamma_initializer",
                "moving_mean_initializer", "moving_variance_initializer", "synchronized",
            ]).union(WeightRegularization.keys(kernel: "gamma", bias: "beta")),
            unsupported: [
                UnsupportedArgument(
                    "renorm", accepting: [false],
                    hint: "Strata implements plain batch normalization: remove renorm (Batch Renormalization)"),
                UnsupportedArgument("renorm_clipping", hint: "remove renorm_clipping (renorm is not supported)"),
                UnsupportedArgument("renorm_momentum", accepting: [0.99], hint: "remove renorm_momentum (renorm is not supported)"),
                UnsupportedArgument(
                    "trainable", accepting: [true],
                    hint:
                        "a frozen BatchNormalization (trainable: false) runs in inference mode in Keras; Strata trains it: remove trainable: false"
                ),
            ])
        let io = try c.inputArguments()
        var axis = -1
        if let list = try c.ints("axis") {
            guard list.count == 1 else { throw c.fail("axis", "one integer (BatchNormalization normalizes one axis)") }
            axis = list[0]
        }
        self.init(
            axis: axis, momentum: try c.double("momentum") ?? 0.99, epsilon: try c.double("epsilon") ?? 1e-3,
            center: try c.bool("center") ?? true, scale: try c.bool("scale") ?? true,
            betaInitializer: try c.initializer("beta_initializer", default: .zeros),
            gammaInitializer: try c.initializer("gamma_initializer", default: .ones),
            movingMeanInitializer: try c.initializer("moving_mean_initializer", default: .zeros),
            movingVarianceInitializer: try c.initializer("moving_variance_initializer", default: .ones),
            inputShape: io.inputShape, batchSize: io.batchSize, batchInputShape: io.batchInputShape)
        regularization = try WeightRegularization(config: c, kernel: "gamma", bias: "beta")
    }
}

extension BatchNormalization: GammaBetaRegularizable {}
