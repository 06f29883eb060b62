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
    public let inputSpec: InputSpec?
    public let inputError: StrataError?
    private let core: RecurrentCore

    public var returnSequences: Bool { core.returnSequences }
    public var goBackwards: Bool { core.goBackwards }
    public var stateful: Bool { core.stateful }
    public var dropout: Float { core.dropout }
    public var recurrentDropout: Float { core.recurrentDropout }

    public private(set) var weightHandles: [ParameterHandle] = []
    private var kernel: ParameterHandle?
    private var recurrentKernel: ParameterHandle?
    private var bias: ParameterHandle?

    public init(_ units: Int, activation: ActivationFunction = .tanh, useBias: Bool = true,
                kernelInitializer: Initializer = .glorotUniform, recurrentInitializer: Initializer = .orthogonal(gain: 1),
                biasInitializer: Initializer = .zeros, dropout: Float = 0, recurrentDropout: Float = 0,
                returnSequences: Bool = false, goBackwards: Bool = false, stateful: Bool = false,
                inputShape: [Int]? = nil, inputDim: Int? = nil, inputLength: Int? = nil, batchSize: Int? = nil,
                batchInputShape: [Int]? = nil, name: String = "") {
        self.units = units
        self.activation = activation
        self.useBias = useBias
        self.kernelInitializer = kernelInitializer
        self.recurrentInitializer = recurrentInitializer
        self.biasInitializer = biasInitializer
        self.name = name
        core = RecurrentCore(kind: "SimpleRNN", units: units, stateCount: 1, returnSequences: returnSequences,
                             goBackwards: goBackwards, stateful: stateful, dropout: dropout,
                             recurrentDropout: recurrentDropout, activation: activation, recurrentActivation: .sigmoid)
        (inputSpec, inputError) = RecurrentCore.inputSpec(layer: name.isEmpty ? "SimpleRNN" : name, inputShape: inputShape,
                                                          inputDim: inputDim, inputLength: inputLength,
                                                          batchSize: batchSize, batchInputShape: batchInputShape)
    }

    public func build(inputShape: [Int], weights: inout WeightAllocator) throws -> [Int] {
        if let inputError { throw inputError }
        let out = try core.build(name: name, inputShape: inputShape)
        let k = weights.add("kernel", shape: [core.inputDim, units], initializer: kernelInitializer)
        let r = weights.add("recurrent_kernel", shape: [units, units], initializer: recurrentInitializer)
        kernel = k
        recurrentKernel = r
        weightHandles = [k, r]
        if useBias {
            let b = weights.add("bias", shape: [units], initializer: biasInitializer)
            bias = b
            weightHandles.append(b)
        }
        return out
    }

    // Workspace slots: z (T, N, u), hidden (T+1, N, u), masked hidden (T, N, u), dz (T, N, u), dh (N, u),
    // dx time-major (T, N, in).
    public func forward(_ x: Tensor, context: LayerContext) -> Tensor {
        let p = context.parameters
        let xs = core.prepare(x, context: context)
        let n = core.rows, steps = core.steps, u = units, block = n * u
        let z = core.work.buffer(0, [steps, n, u])
        BLAS.gemm(xs, rowsA: steps * n, colsA: core.inputDim, p.value(kernel!), rowsB: core.inputDim, colsB: u, into: z)
        if let bias { Kernels.addRowVector(z, p.value(bias), rows: steps * n, cols: u) }
        let h = core.work.buffer(1, [steps + 1, n, u])
        core.loadState(0, into: h)
        let hm = core.recurrentMask.map { _ in core.work.buffer(2, [steps, n, u]) }
        let r = p.value(recurrentKernel!)
        for t in 0..<steps {
            let hPrev: Tensor
            if let hm, let mask = core.recurrentMask {
                Kernels.multiply(h, offset: t * block, mask, into: hm, offset: t * block, count: block)
                hPrev = hm.rows(t..<(t + 1))
            } else {
                hPrev = h.rows(t..<(t + 1))
            }
            BLAS.gemm(hPrev, rowsA: n, colsA: u, r, rowsB: u, colsB: u, into: z.rows(t..<(t + 1)), beta: 1)
            Kernels.simpleRNNStep(t: t, rows: n, units: u, z: z, h: h, activation: activation)
        }
        core.saveState(0, from: h, step: steps)
        return core.output(hidden: h)
    }

    public func backward(_ dy: Tensor, context: LayerContext) -> Tensor {
        let p = context.parameters
        let n = core.rows, steps = core.steps, u = units, inDim = core.inputDim
        let h = core.work.buffer(1, [steps + 1, n, u])
        let dz = core.work.buffer(3, [steps, n, u])
        let dh = core.work.buffer(4, [n, u])
        dh.fill(0)
        let dyTime = core.timeMajorOutputGradient(dy)
        let r = p.value(recurrentKernel!)
        for t in stride(from: steps - 1, through: 0, by: -1) {
            core.addOutputGradient(step: t, dy: dy, timeMajor: dyTime, into: dh)
            Kernels.simpleRNNStepBackward(t: t, rows: n, units: u, h: h, dh: dh, dz: dz, activation: activation)
            if t > 0 {
                BLAS.gemm(dz.rows(t..<(t + 1)), rowsA: n, colsA: u, r, rowsB: u, colsB: u, transB: true, into: dh)
                if let mask = core.recurrentMask { Kernels.multiply(dh, mask, into: dh) }
            } else {
                dh.fill(0)
            }
        }
        let xs = core.input!
        BLAS.gemm(xs, rowsA: steps * n, colsA: inDim, transA: true, dz, rowsB: steps * n, colsB: u,
                  into: p.gradient(kernel!), beta: 1)
        let hPrev = core.recurrentMask == nil ? h : core.work.buffer(2, [steps, n, u])
        BLAS.gemm(hPrev, rowsA: steps * n, colsA: u, transA: true, dz, rowsB: steps * n, colsB: u,
                  into: p.gradient(recurrentKernel!), beta: 1)
        if let bias { Kernels.accumulateColumnSums(dz, rows: steps * n, cols: u, into: p.gradient(bias)) }
        let dxs = core.work.buffer(5, [steps, n, inDim])
        BLAS.gemm(dz, rowsA: steps * n, colsA: u, p.value(kernel!), rowsB: inDim, colsB: u, transB: true, into: dxs)
        return core.inputGradient(timeMajor: dxs)
    }

    public var states: [Tensor] { core.states }
    public func resetStates() { core.resetStates() }
    public func setStates(_ states: [Tensor]) throws { try core.setStates(states, layer: name) }

    public var config: [String: JSONValue] {
        var c = core.configEntries
        c["use_bias"] = .bool(useBias)
        return c
    }
}

extension SimpleRNN: ConfigurableLayer {
    public static let kerasClassName = "SimpleRNN"
    public convenience init(config c: LayerConfig) throws {
        let r = try RecurrentConfig(c, extraKeys: [])
        self.init(r.units, activation: r.activation, useBias: r.useBias, kernelInitializer: r.kernelInitializer,
                  recurrentInitializer: r.recurrentInitializer, biasInitializer: r.biasInitializer, dropout: r.dropout,
                  recurrentDropout: r.recurrentDropout, returnSequences: r.returnSequences, goBackwards: r.goBackwards,
                  stateful: r.stateful, inputShape: r.io.inputShape, inputDim: r.io.inputDim, inputLength: r.inputLength,
                  batchSize: r.io.batchSize, batchInputShape: r.io.batchInputShape)
    }
}
