/// Keras 3 `GRU(units)` with its default `reset_after=True` (keras/src/layers/rnn/gru.py `GRUCell.call`,
/// implementation 2): weights `kernel (in, 3u)`, `recurrent_kernel (u, 3u)`, `bias (2, 3u)` (row 0 input bias,
/// row 1 recurrent bias), gate blocks in the order z, r, h:
///
///     x_z, x_r, x_h = split(x_t kernel + bias[0]);   r_z, r_r, r_h = split(h_{t-1} recurrent_kernel + bias[1])
///     z = ra(x_z + r_z),  r = ra(x_r + r_r),  hh = a(x_h + r * r_h)
///     h_t = z h_{t-1} + (1 - z) hh
///
/// `dropout` masks `x`; `recurrentDropout` masks `h_{t-1}` inside the recurrent product only (one mask per
/// sample for the sequence; Keras uses one per gate when recurrent dropout is on). `reset_after=False` (the
/// Keras 2 default layout) is not supported. Stateful layers carry `[h]` across batches.
public final class GRU: RecurrentLayer {
    public let className = "GRU"
    public var name: String
    public let units: Int
    public let activation: ActivationFunction
    public let recurrentActivation: ActivationFunction
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
    /// Always true: Keras 3's default convention, the reset gate applied after the recurrent product.
    public let resetAfter = true

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
        dropout: Float = 0, recurrentDropout: Float = 0,
        returnSequences: Bool = false, goBackwards: Bool = false, stateful: Bool = false,
        inputShape: [Int]? = nil, inputDim: Int? = nil, inputLength: Int? = nil, batchSize: Int? = nil,
        batchInputShape: [Int]? = nil, name: String = ""
    ) {
        self.units = units
        self.activation = activation
        self.recurrentActivation = recurrentActivation
        self.useBias = useBias
        self.kernelInitializer = kernelInitializer
        self.recurrentInitializer = recurrentInitializer
        self.biasInitializer = biasInitializer
        self.name = name
        core = RecurrentCore(
            kind: "GRU", name: name, units: units, stateCount: 1, returnSequences: returnSequences,
            goBackwards: goBackwards, stateful: stateful, dropout: dropout,
            recurrentDropout: recurrentDropout, activation: activation,
            recurrentActivation: recurrentActivation, useBias: useBias,
            inputShape: inputShape, inputDim: inputDim, inputLength: inputLength, batchSize: batchSize,
            batchInputShape: batchInputShape)
    }

    public func build(inputShape: [Int], weights: inout WeightAllocator) throws -> [Int] {
        let out = try core.build(name: name, inputShape: inputShape)
        core.addWeights(
            width: 3 * units, biasShape: [2, 3 * units], kernelInitializer: kernelInitializer,
            recurrentInitializer: recurrentInitializer, biasInitializer: biasInitializer, to: &weights)
        return out
    }

    private func biasRow(_ p: Parameters, _ row: Int) -> Tensor { p.value(core.bias!).rows(row..<(row + 1)) }

    // Workspace (`RecurrentSlot`): gates (the input part, T, N, 3u), recurrentPart (T, N, 3u), hidden (T+1, N, u),
    // gateGradients and recurrentPartGradients (T, N, 3u), hiddenGradient and recurrentHiddenGradient (N, u).
    public func forward(_ x: Tensor, context: LayerContext) -> Tensor {
        let p = context.parameters
        let gx = core.inputProjection(x, context: context, width: 3 * units)
        let n = core.rows, steps = core.steps, u = units
        let gr = core.work.buffer(.recurrentPart, [steps, n, 3 * u])
        if useBias {
            Kernels.addRowVector(gx, biasRow(p, 0), rows: steps * n, cols: 3 * u)
            gr.fill(0)
            Kernels.addRowVector(gr, biasRow(p, 1), rows: steps * n, cols: 3 * u)
        }
        let h = core.work.buffer(.hidden, [steps + 1, n, u])
        core.loadState(0, into: h)
        let hm = core.maskedHidden()
        let r = p.value(core.recurrentKernel!)
        let packed = core.packedRecurrentKernel(r, width: 3 * u, transposed: false)  // once for all steps
        for t in 0..<steps {
            core.addRecurrentProduct(
                hidden: h, masked: hm, step: t, recurrentKernel: r, packed: packed, width: 3 * u, into: gr,
                beta: useBias ? 1 : 0)
            Kernels.gruStep(
                t: t, rows: n, units: u, x: gx, r: gr, h: h, activation: activation,
                recurrentActivation: recurrentActivation)
            core.carrySkippedRows(step: t, [h])
        }
        core.saveState(0, from: h, step: steps)
        return core.output(hidden: h)
    }

    public func backward(_ dy: Tensor, context: LayerContext) -> Tensor {
        let p = context.parameters
        let n = core.rows, steps = core.steps, u = units
        let gates = core.work.buffer(.gates, [steps, n, 3 * u])
        let gr = core.work.buffer(.recurrentPart, [steps, n, 3 * u])
        let h = core.work.buffer(.hidden, [steps + 1, n, u])
        let dgx = core.work.buffer(.gateGradients, [steps, n, 3 * u])
        let dgr = core.work.buffer(.recurrentPartGradients, [steps, n, 3 * u])
        let dh = core.work.buffer(.hiddenGradient, [n, u])
        let dhr = core.work.buffer(.recurrentHiddenGradient, [n, u])
        dh.fill(0)
        let dyTime = core.timeMajorOutputGradient(dy)
        let r = p.value(core.recurrentKernel!)
        let packed = core.packedRecurrentKernel(r, width: 3 * u, transposed: true)
        for t in stride(from: steps - 1, through: 0, by: -1) {
            core.addOutputGradient(step: t, dy: dy, timeMajor: dyTime, into: dh)
            core.saveSkippedRows(step: t, [dh])
            Kernels.gruStepBackward(
                t: t, rows: n, units: u, gates: gates, r: gr, h: h, dh: dh, dx: dgx, dr: dgr,
                activation: activation, recurrentActivation: recurrentActivation)
            if t > 0 {
                // dh_{t-1} = dh z + (d recurrent part) recurrent_kernel^T (times the recurrent mask)
                if let mask = core.recurrentMask {
                    core.multiplyByRecurrentTranspose(dgr, step: t, recurrentKernel: r, packed: packed, width: 3 * u, into: dhr)
                    Kernels.multiply(dhr, mask, into: dhr)
                    Kernels.add(dhr, into: dh, count: n * u)
                } else {
                    core.multiplyByRecurrentTranspose(
                        dgr, step: t, recurrentKernel: r, packed: packed, width: 3 * u, into: dh, accumulate: true)
                }
            }
            core.restoreSkippedRows(step: t, [dh], gateGradients: [dgx, dgr], width: 3 * u)
        }
        if let bias = core.bias {
            let g = p.gradient(bias)
            Kernels.accumulateColumnSums(dgx, rows: steps * n, cols: 3 * u, into: g.rows(0..<1))
            Kernels.accumulateColumnSums(dgr, rows: steps * n, cols: 3 * u, into: g.rows(1..<2))
        }
        // kernel += xs^T dgx, recurrent_kernel += h_{t-1}^T dgr, dx = dgx kernel^T.
        return core.kernelGradients(dInput: dgx, dRecurrent: dgr, width: 3 * u, hidden: h, parameters: p, pool: context.pool)
    }

    public var states: [Tensor] { core.states }
    public func resetStates() { core.resetStates() }
    public func setStates(_ states: [Tensor]) throws { try core.setStates(states, layer: name) }

    public var config: [String: JSONValue] {
        var c = core.configEntries
        c["reset_after"] = .bool(true)
        return c
    }
}

extension GRU: MirrorableRecurrentLayer {
    func mirrored(goBackwards: Bool, name: String) -> RecurrentLayer {
        let mirror = GRU(
            units, activation: activation, recurrentActivation: recurrentActivation, useBias: useBias,
            kernelInitializer: kernelInitializer, recurrentInitializer: recurrentInitializer,
            biasInitializer: biasInitializer, dropout: dropout, recurrentDropout: recurrentDropout,
            returnSequences: returnSequences, goBackwards: goBackwards, stateful: stateful, name: name)
        mirror.regularization = regularization  // the backward direction is regularized as Keras copies the config
        return mirror
    }
}
extension GRU: WeightRegularizable {}

extension GRU: ConfigurableLayer {
    public static let kerasClassName = "GRU"
    public convenience init(config c: LayerConfig) throws {
        let r = try RecurrentConfig(
            c, extraKeys: ["recurrent_activation"],
            unsupported: [
                UnsupportedArgument(
                    "reset_after", accepting: [true],
                    hint: "reset_after=False is the Keras 2 GRU layout; use reset_after=True, the Keras 3 default")
            ])
        self.init(
            r.units, activation: r.activation, recurrentActivation: r.recurrentActivation,
            useBias: r.useBias, kernelInitializer: r.kernelInitializer, recurrentInitializer: r.recurrentInitializer,
            biasInitializer: r.biasInitializer, dropout: r.dropout, recurrentDropout: r.recurrentDropout,
            returnSequences: r.returnSequences, goBackwards: r.goBackwards, stateful: r.stateful,
            inputShape: r.io.inputShape, inputDim: r.io.inputDim, inputLength: r.inputLength,
            batchSize: r.io.batchSize, batchInputShape: r.io.batchInputShape)
        zeroOutputForMask = r.zeroOutputForMask
        regularization = r.regularization
    }
}
