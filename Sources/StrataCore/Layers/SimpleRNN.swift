/// Keras `SimpleRNN(units)` (keras/src/layers/rnn/simple_rnn.py `SimpleRNNCell.call`): weights
/// `kernel (in, u)`, `recurrent_kernel (u, u)`, `bias (u)`;
///
///     h_t = activation(x_t kernel + bias + h_{t-1} recurrent_kernel)
///
/// with `dropout` masking `x` and `recurrentDropout` masking `h_{t-1}` in the product (one mask per sample
/// for the whole sequence, as Keras). Stateful layers carry `[h]` across batches.
public final class SimpleRNN: RecurrentLayer {
    public let className = "SimpleRNN"
    public var name: String
    public let units: Int
    public let activation: ActivationFunction
    public let useBias: Bool
    public let kernelInitializer: Initializer
    public let recurrentInitializer: Initializer
    public let biasInitializer: Initializer
    public var inputSpec: InputSpec? { core.inputSpec }
    public var inputError: StrataError? { core.inputError }
    let core: RecurrentCore
    /// Keras's `zero_output_for_mask`: masked steps output zeros instead of the previous output.
    public var zeroOutputForMask: Bool {
        get { core.zeroOutputForMask }
        set { core.zeroOutputForMask = newValue }
    }

    public var returnSequences: Bool { core.returnSequences }
    public var goBackwards: Bool { core.goBackwards }
    public var stateful: Bool { core.stateful }
    public var dropout: Float { core.dropout }
    public var recurrentDropout: Float { core.recurrentDropout }

    public var weightHandles: [ParameterHandle] { core.weightHandles }

    /// Keras's kernel/recurrent/bias/activity regularizers and constraints (set before the model is built).
    public var regularization: WeightRegularization {
        get { core.regularization }
        set { core.regularization = newValue }
    }

    public init(
        _ units: Int, activation: ActivationFunction = .tanh, useBias: Bool = true,
        kernelInitializer: Initializer = .glorotUniform, recurrentInitializer: Initializer = .orthogonal(gain: 1),
        biasInitializer: Initializer = .zeros, dropout: Float = 0, recurrentDropout: Float = 0,
        returnSequences: Bool = false, goBackwards: Bool = false, stateful: Bool = false,
        inputShape: [Int]? = nil, inputDim: Int? = nil, inputLength: Int? = nil, batchSize: Int? = nil,
        batchInputShape: [Int]? = nil, name: String = ""
    ) {
        self.units = units
        self.activation = activation
        self.useBias = useBias
        self.kernelInitializer = kernelInitializer
        self.recurrentInitializer = recurrentInitializer
        self.biasInitializer = biasInitializer
        self.name = name
        core = RecurrentCore(
            kind: "SimpleRNN", name: name, units: units, stateCount: 1, returnSequences: returnSequences,
            goBackwards: goBackwards, stateful: stateful, dropout: dropout,
            recurrentDropout: recurrentDropout, activation: activation, recurrentActivation: nil, useBias: useBias,
            inputShape: inputShape, inputDim: inputDim, inputLength: inputLength, batchSize: batchSize,
            batchInputShape: batchInputShape)
    }

    public func build(inputShape: [Int], weights: inout WeightAllocator) throws -> [Int] {
        let out = try core.build(name: name, inputShape: inputShape)
        core.addWeights(
            width: units, biasShape: [units], kernelInitializer: kernelInitializer,
            recurrentInitializer: recurrentInitializer, biasInitializer: biasInitializer, to: &weights)
        return out
    }

    // Workspace (`RecurrentSlot`): gates (z, T, N, u), hidden (T+1, N, u), gateGradients (dz, T, N, u),
    // hiddenGradient (N, u).
    public func forward(_ x: Tensor, context: LayerContext) -> Tensor {
        let p = context.parameters
        let z = core.inputProjection(x, context: context, width: units)
        let n = core.rows, steps = core.steps, u = units
        if let bias = core.bias { Kernels.addRowVector(z, p.value(bias), rows: steps * n, cols: u) }
        let h = core.work.buffer(.hidden, [steps + 1, n, u])
        core.loadState(0, into: h)
        let hm = core.maskedHidden()
        let r = p.value(core.recurrentKernel!)
        let packed = core.packedRecurrentKernel(r, width: u, transposed: false)  // once for all steps
        for t in 0..<steps {
            core.addRecurrentProduct(hidden: h, masked: hm, step: t, recurrentKernel: r, packed: packed, width: u, into: z)
            Kernels.simpleRNNStep(t: t, rows: n, units: u, z: z, h: h, activation: activation)
            core.carrySkippedRows(step: t, [h])
        }
        core.saveState(0, from: h, step: steps)
        return core.output(hidden: h)
    }

    public func backward(_ dy: Tensor, context: LayerContext) -> Tensor {
        let p = context.parameters
        let n = core.rows, steps = core.steps, u = units
        let h = core.work.buffer(.hidden, [steps + 1, n, u])
        let dz = core.work.buffer(.gateGradients, [steps, n, u])
        let dh = core.work.buffer(.hiddenGradient, [n, u])
        dh.fill(0)
        let dyTime = core.timeMajorOutputGradient(dy)
        let r = p.value(core.recurrentKernel!)
        let packed = core.packedRecurrentKernel(r, width: u, transposed: true)
        for t in stride(from: steps - 1, through: 0, by: -1) {
            core.addOutputGradient(step: t, dy: dy, timeMajor: dyTime, into: dh)
            core.saveSkippedRows(step: t, [dh])
            Kernels.simpleRNNStepBackward(t: t, rows: n, units: u, h: h, dh: dh, dz: dz, activation: activation)
            if t > 0 {
                core.multiplyByRecurrentTranspose(dz, step: t, recurrentKernel: r, packed: packed, width: u, into: dh)
                if let mask = core.recurrentMask { Kernels.multiply(dh, mask, into: dh) }
            } else {
                dh.fill(0)
            }
            core.restoreSkippedRows(step: t, [dh], gateGradients: [dz], width: u)
        }
        // kernel += xs^T dz, recurrent_kernel += h_{t-1}^T dz, dx = dz kernel^T.
        if let bias = core.bias { Kernels.accumulateColumnSums(dz, rows: steps * n, cols: u, into: p.gradient(bias)) }
        return core.kernelGradients(dInput: dz, dRecurrent: dz, width: u, hidden: h, parameters: p, pool: context.pool)
    }

    public var states: [Tensor] { core.states }
    public func resetStates() { core.resetStates() }
    public func setStates(_ states: [Tensor]) throws { try core.setStates(states, layer: name) }

    public var config: [String: JSONValue] {
        core.configEntries
    }
}

extension SimpleRNN: MirrorableRecurrentLayer {
    func mirrored(goBackwards: Bool, name: String) -> RecurrentLayer {
        let mirror = SimpleRNN(
            units, activation: activation, useBias: useBias, kernelInitializer: kernelInitializer,
            recurrentInitializer: recurrentInitializer, biasInitializer: biasInitializer, dropout: dropout,
            recurrentDropout: recurrentDropout, returnSequences: returnSequences, goBackwards: goBackwards,
            stateful: stateful, name: name)
        mirror.regularization = regularization  // the backward direction is regularized as Keras copies the config
        return mirror
    }
}
extension SimpleRNN: WeightRegularizable {}

extension SimpleRNN: ConfigurableLayer {
    public static let kerasClassName = "SimpleRNN"
    public convenience init(config c: LayerConfig) throws {
        let r = try RecurrentConfig(c, extraKeys: [])
        self.init(
            r.units, activation: r.activation, useBias: r.useBias, kernelInitializer: r.kernelInitializer,
            recurrentInitializer: r.recurrentInitializer, biasInitializer: r.biasInitializer, dropout: r.dropout,
            recurrentDropout: r.recurrentDropout, returnSequences: r.returnSequences, goBackwards: r.goBackwards,
            stateful: r.stateful, inputShape: r.io.inputShape, inputDim: r.io.inputDim, inputLength: r.inputLength,
            batchSize: r.io.batchSize, batchInputShape: r.io.batchInputShape)
        zeroOutputForMask = r.zeroOutputForMask
        regularization = r.regularization
    }
}
