/// Keras `LSTM(units)` (keras/src/layers/rnn/lstm.py): weights `kernel (in, 4u)`, `recurrent_kernel (u, 4u)`,
/// `bias (4u)`, gate blocks in the order i, f, c, o:
///
///     z = x_t kernel + h_{t-1} recurrent_kernel + bias
///     i = ra(z_i), f = ra(z_f), g = a(z_c), o = ra(z_o)      (a = activation, ra = recurrent_activation)
///     c_t = f c_{t-1} + i g,   h_t = o a(c_t)
///
/// Input `(batch, timesteps, features)`; output the last `h` `(batch, units)`, or every `h` `(batch, timesteps,
/// units)` with `returnSequences`. `dropout` masks the inputs and `recurrentDropout` the `h` entering the
/// recurrent product, one mask per sample for the whole sequence (Keras 3's implementation 2; with recurrent
/// dropout Keras switches to one mask per gate, which we do not). Stateful layers carry `[h, c]` across batches.
public final class LSTM: RecurrentLayer {
    public let className = "LSTM"
    public var name: String
    public let units: Int
    public let activation: ActivationFunction
    public let recurrentActivation: ActivationFunction
    public let useBias: Bool
    public let unitForgetBias: Bool
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
        _ units: Int, activation: ActivationFunction = .tanh, recurrentActivation: ActivationFunction = .sigmoid,
        useBias: Bool = true, kernelInitializer: Initializer = .glorotUniform,
        recurrentInitializer: Initializer = .orthogonal(gain: 1), biasInitializer: Initializer = .zeros,
        unitForgetBias: Bool = true, dropout: Float = 0, recurrentDropout: Float = 0,
        returnSequences: Bool = false, goBackwards: Bool = false, stateful: Bool = false,
        inputShape: [Int]? = nil, inputDim: Int? = nil, inputLength: Int? = nil, batchSize: Int? = nil,
        batchInputShape: [Int]? = nil, name: String = ""
    ) {
        self.units = units
        self.activation = activation
        self.recurrentActivation = recurrentActivation
        self.useBias = useBias
        self.unitForgetBias = unitForgetBias
        self.kernelInitializer = kernelInitializer
        self.recurrentInitializer = recurrentInitializer
        self.biasInitializer = biasInitializer
        self.name = name
        core = RecurrentCore(
            kind: "LSTM", name: name, units: units, stateCount: 2, returnSequences: returnSequences,
            goBackwards: goBackwards, stateful: stateful, dropout: dropout,
            recurrentDropout: recurrentDropout, activation: activation,
            recurrentActivation: recurrentActivation, useBias: useBias,
            inputShape: inputShape, inputDim: inputDim, inputLength: inputLength, batchSize: batchSize,
            batchInputShape: batchInputShape)
    }

    public func build(inputShape: [Int], weights: inout WeightAllocator) throws -> [Int] {
        let out = try core.build(name: name, inputShape: inputShape)
        // unit_forget_bias: the bias initializer fills everything, then the forget block [u, 2u) is ones.
        let initializer: Initializer = unitForgetBias && biasInitializer == .zeros ? .unitForgetBias(units: units) : biasInitializer
        core.addWeights(
            width: 4 * units, biasShape: [4 * units], kernelInitializer: kernelInitializer,
            recurrentInitializer: recurrentInitializer, biasInitializer: initializer, to: &weights)
        return out
    }

    // Workspace (`RecurrentSlot`): gates (T, N, 4u), hidden (T+1, N, u), cells (T+1, N, u), activatedCells
    // (T, N, u), gateGradients (T, N, 4u), hiddenGradient and cellGradient (N, u).
    public func forward(_ x: Tensor, context: LayerContext) -> Tensor {
        let p = context.parameters
        let z = core.inputProjection(x, context: context, width: 4 * units)
        let n = core.rows, steps = core.steps, u = units
        if let bias = core.bias { Kernels.addRowVector(z, p.value(bias), rows: steps * n, cols: 4 * u) }
        let h = core.work.buffer(.hidden, [steps + 1, n, u])
        let c = core.work.buffer(.cells, [steps + 1, n, u])
        let ac = core.work.buffer(.activatedCells, [steps, n, u])
        core.loadState(0, into: h)
        core.loadState(1, into: c)
        let hm = core.maskedHidden()
        let r = p.value(core.recurrentKernel!)
        let pool = context.pool, parts = core.stepParts(pool, width: 4 * u)
        // recurrent_kernel packed once for the whole sequence; each step then runs, split by rows over the run's
        // pool, z_t += h_{t-1} recurrent_kernel (h masked by recurrent dropout) and the gate math of those rows.
        // Without the packed kernel (no AVX2): the GEMM split by columns, then the gates by rows. OpenBLAS stays at
        // one thread throughout.
        let packed = core.packedRecurrentKernel(r, width: 4 * u, transposed: false)
        BLAS.oneThread {
            for t in 0..<steps {
                if packed == nil {
                    core.addRecurrentProduct(
                        hidden: h, masked: hm, step: t, recurrentKernel: r, packed: nil, width: 4 * u, into: z, pool: pool)
                }
                pool.split(n, parts: parts) { _, part in
                    if let packed { core.addRecurrentProduct(hidden: h, masked: hm, step: t, packed: packed, into: z, rows: part) }
                    Kernels.lstmStep(
                        t: t, rows: n, units: u, z: z, c: c, h: h, ac: ac,
                        activation: activation, recurrentActivation: recurrentActivation, only: part)
                }
                core.carrySkippedRows(step: t, [h, c])
            }
        }
        core.saveState(0, from: h, step: steps)
        core.saveState(1, from: c, step: steps)
        return core.output(hidden: h)
    }

    public func backward(_ dy: Tensor, context: LayerContext) -> Tensor {
        let p = context.parameters
        let n = core.rows, steps = core.steps, u = units
        let gates = core.work.buffer(.gates, [steps, n, 4 * u])
        let h = core.work.buffer(.hidden, [steps + 1, n, u])
        let c = core.work.buffer(.cells, [steps + 1, n, u])
        let ac = core.work.buffer(.activatedCells, [steps, n, u])
        let dz = core.work.buffer(.gateGradients, [steps, n, 4 * u])
        let dh = core.work.buffer(.hiddenGradient, [n, u])
        let dc = core.work.buffer(.cellGradient, [n, u])
        dh.fill(0)
        dc.fill(0)
        let dyTime = core.timeMajorOutputGradient(dy)
        let r = p.value(core.recurrentKernel!)
        let pool = context.pool, parts = core.stepParts(pool, width: 4 * u)
        // recurrent_kernel^T packed once for the sweep; each step's gate gradients and dh_{t-1} = dz_t
        // recurrent_kernel^T then run split by rows (without the packed kernel: the GEMM split by columns).
        let packed = core.packedRecurrentKernel(r, width: 4 * u, transposed: true)
        BLAS.oneThread {
            for t in stride(from: steps - 1, through: 0, by: -1) {
                core.addOutputGradient(step: t, dy: dy, timeMajor: dyTime, into: dh)
                core.saveSkippedRows(step: t, [dh, dc])
                pool.split(n, parts: parts) { _, part in
                    Kernels.lstmStepBackward(
                        t: t, rows: n, units: u, gates: gates, c: c, ac: ac, dh: dh, dc: dc, dz: dz,
                        activation: activation, recurrentActivation: recurrentActivation, only: part)
                    if t > 0, let packed { packed.multiply(dz.rows(t..<(t + 1)), into: dh, rows: part, accumulate: false) }
                }
                if t > 0 {
                    // dh_{t-1} = dz_t recurrent_kernel^T (times the recurrent mask)
                    if packed == nil {
                        core.multiplyByRecurrentTranspose(
                            dz, step: t, recurrentKernel: r, packed: nil, width: 4 * u, into: dh, pool: pool)
                    }
                    if let mask = core.recurrentMask { Kernels.multiply(dh, mask, into: dh) }
                }
                core.restoreSkippedRows(step: t, [dh, dc], gateGradients: [dz], width: 4 * u)
            }
        }
        // Weight gradients over all steps at once: kernel += xs^T dz, recurrent_kernel += h_{t-1}^T dz.
        if let bias = core.bias { Kernels.accumulateColumnSums(dz, rows: steps * n, cols: 4 * u, into: p.gradient(bias)) }
        return core.kernelGradients(dInput: dz, dRecurrent: dz, width: 4 * u, hidden: h, parameters: p, pool: context.pool)
    }

    public var states: [Tensor] { core.states }
    public func resetStates() { core.resetStates() }
    public func setStates(_ states: [Tensor]) throws { try core.setStates(states, layer: name) }

    public var config: [String: JSONValue] {
        var c = core.configEntries
        c["unit_forget_bias"] = .bool(unitForgetBias)
        return c
    }
}

extension LSTM: MirrorableRecurrentLayer {
    func mirrored(goBackwards: Bool, name: String) -> RecurrentLayer {
        let mirror = LSTM(
            units, activation: activation, recurrentActivation: recurrentActivation, useBias: useBias,
            kernelInitializer: kernelInitializer, recurrentInitializer: recurrentInitializer,
            biasInitializer: biasInitializer, unitForgetBias: unitForgetBias, dropout: dropout,
            recurrentDropout: recurrentDropout, returnSequences: returnSequences, goBackwards: goBackwards,
            stateful: stateful, name: name)
        mirror.regularization = regularization  // the backward direction is regularized as Keras copies the config
        return mirror
    }
}
extension LSTM: WeightRegularizable {}

extension LSTM: ConfigurableLayer {
    public static let kerasClassName = "LSTM"
    public convenience init(config c: LayerConfig) throws {
        let r = try RecurrentConfig(c, extraKeys: ["recurrent_activation", "unit_forget_bias"])
        self.init(
            r.units, activation: r.activation, recurrentActivation: r.recurrentActivation,
            useBias: r.useBias, kernelInitializer: r.kernelInitializer, recurrentInitializer: r.recurrentInitializer,
            biasInitializer: r.biasInitializer, unitForgetBias: try c.bool("unit_forget_bias") ?? true,
            dropout: r.dropout, recurrentDropout: r.recurrentDropout, returnSequences: r.returnSequences,
            goBackwards: r.goBackwards, stateful: r.stateful, inputShape: r.io.inputShape, inputDim: r.io.inputDim,
            inputLength: r.inputLength, batchSize: r.io.batchSize, batchInputShape: r.io.batchInputShape)
        zeroOutputForMask = r.zeroOutputForMask
        regularization = r.regularization
    }
}
