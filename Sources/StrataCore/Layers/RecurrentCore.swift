/// A Keras recurrent layer (LSTM, GRU, SimpleRNN): stateful when asked, with its carried states visible.
///
/// `states` are `(rows, units)` tensors, one per Keras state (LSTM: h, c). `rows` is the number of rows this
/// process actually runs: the global batch on one process, its `batch/p` slice on each of `p` ranks. They are
/// allocated (zeros) at the first batch and replaced only by `resetStates` (zeros) or `setStates`.
public protocol RecurrentLayer: StatefulLayer {
    var units: Int { get }
    /// Keras's `return_sequences`: the output is every step's, `(batch, timesteps, units)`, not the last one.
    var returnSequences: Bool { get }
    /// Replaces the carried states (same count as `states`, each `(rows, units)`): for checkpoints and for
    /// pinning rows of a global state to ranks.
    func setStates(_ states: [Tensor]) throws
}

/// What LSTM, GRU and SimpleRNN share: the time-major layout, `go_backwards`, `return_sequences`, dropout masks
/// keyed like `Dropout`'s, and the states carried by a stateful layer (keras/src/layers/rnn/rnn.py).
///
/// Per-step tensors are time-major `(T, N, width)` so each step is one contiguous block: the input projection
/// of all steps is one GEMM over `T*N` rows, and each step adds one `(N, u) x (u, gates*u)` GEMM.
final class RecurrentCore {
    let kind: String
    let units: Int
    let stateCount: Int
    let returnSequences: Bool
    let goBackwards: Bool
    let stateful: Bool
    let dropout: Float
    let recurrentDropout: Float
    let activation: ActivationFunction
    /// Nil for SimpleRNN, which has none (and no `recurrent_activation` config key).
    let recurrentActivation: ActivationFunction?
    let useBias: Bool
    /// The layer's regularizers and constraints, given to its weights in `addWeights`.
    var regularization = WeightRegularization()
    /// The layer's input arguments resolved once at construction; `inputError` is thrown by `build`.
    let inputSpec: InputSpec?
    let inputError: StrataError?

    private(set) var steps = 0
    private(set) var inputDim = 0
    /// Rows of the last forward pass.
    private(set) var rows = 0
    var work = Workspace<RecurrentSlot>()
    /// The carried states of a stateful layer (empty until the first batch).
    private(set) var carried: [Tensor] = []
    /// Dropout masks of the last training forward pass: `(N, inputDim)` and `(N, units)`.
    private(set) var inputMask: Tensor?
    private(set) var recurrentMask: Tensor?
    /// The time-major (and masked) input of the last forward pass `(T, N, inputDim)`.
    private(set) var input: Tensor?
    /// Keras's `zero_output_for_mask`: a masked step outputs zeros instead of repeating the previous output
    /// (`Bidirectional` sets it to `return_sequences`, as Keras does).
    var zeroOutputForMask = false
    /// With a timestep mask (`LayerContext.mask`): `keep (T, N)` 1/0 in processing order and each step's output
    /// multiplier `outputScale (T, N)` (`Kernels.timestepMask`); nil without a mask.
    private(set) var keep: Tensor?
    private(set) var outputScale: Tensor?
    /// The weights every recurrent layer has, in Keras's order: `kernel`, `recurrent_kernel`, `bias` (with `use_bias`).
    private(set) var kernel: ParameterHandle?
    private(set) var recurrentKernel: ParameterHandle?
    private(set) var bias: ParameterHandle?
    private(set) var weightHandles: [ParameterHandle] = []

    /// `name` (empty: `kind`) names the layer in input-argument errors.
    init(
        kind: String, name: String, units: Int, stateCount: Int, returnSequences: Bool, goBackwards: Bool, stateful: Bool,
        dropout: Float, recurrentDropout: Float, activation: ActivationFunction, recurrentActivation: ActivationFunction?,
        useBias: Bool, inputShape: [Int]?, inputDim: Int?, inputLength: Int?, batchSize: Int?, batchInputShape: [Int]?
    ) {
        self.kind = kind
        self.units = units
        self.stateCount = stateCount
        self.returnSequences = returnSequences
        self.goBackwards = goBackwards
        self.stateful = stateful
        // Keras clips both rates into [0, 1] (lstm.py LSTMCell.__init__).
        self.dropout = min(1, max(0, dropout))
        self.recurrentDropout = min(1, max(0, recurrentDropout))
        self.activation = activation
        self.recurrentActivation = recurrentActivation
        self.useBias = useBias
        (inputSpec, inputError) = Self.inputSpec(
            layer: name.isEmpty ? kind : name, inputShape: inputShape,
            inputDim: inputDim, inputLength: inputLength, batchSize: batchSize,
            batchInputShape: batchInputShape)
    }

    /// Keras's input arguments for a recurrent first layer; `inputDim` + `inputLength` (Keras 2) mean
    /// `inputShape: [inputLength, inputDim]`.
    private static func inputSpec(
        layer: String, inputShape: [Int]?, inputDim: Int?, inputLength: Int?, batchSize: Int?,
        batchInputShape: [Int]?
    ) -> (InputSpec?, StrataError?) {
        var shape = inputShape
        if let d = inputDim {
            guard let length = inputLength ?? inputShape?.first else {
                return (
                    nil,
                    .invalidModel(
                        layer: layer, "inputDim \(d) without inputLength leaves the number of timesteps unknown",
                        hint: "give inputShape: [timesteps, \(d)]")
                )
            }
            if let s = inputShape, s != [length, d] {
                return (nil, .invalidModel(layer: layer, "inputDim \(d) contradicts inputShape \(s)", hint: "give only inputShape"))
            }
            shape = [length, d]
        } else if inputLength != nil && inputShape == nil && batchInputShape == nil {
            return (
                nil,
                .invalidModel(
                    layer: layer, "inputLength without inputDim leaves the features unknown",
                    hint: "give inputShape: [timesteps, features]")
            )
        }
        switch InputSpec.resolve(
            layer: layer, inputShape: shape, inputDim: nil, batchSize: batchSize,
            batchInputShape: batchInputShape)
        {
        case let .success(s): return (s, nil)
        case let .failure(e): return (nil, e)
        }
    }

    /// Checks the layer's input arguments, settings and its `(timesteps, features)` input; returns the output shape.
    func build(name: String, inputShape: [Int]) throws -> [Int] {
        if let inputError { throw inputError }
        guard units > 0 else {
            throw StrataError.invalidModel(layer: name, "units must be positive, got \(units)", hint: "use \(kind)(n) with n >= 1")
        }
        guard inputShape.count == 2 else {
            throw StrataError.invalidModel(
                layer: name, "\(kind) needs inputs of shape (timesteps, features), got \(inputShape)",
                hint: inputShape.count == 1
                    ? "put an Embedding before it, or give inputShape: [timesteps, features]"
                    : "a recurrent layer reads 3-D batches (batch, timesteps, features)")
        }
        let checked: [(String, ActivationFunction?)] = [("activation", activation), ("recurrent_activation", recurrentActivation)]
        for case let (key, f?) in checked where !Kernels.recurrentActivations.contains(f) {
            throw StrataError.invalidModel(
                layer: name, "\(key) '\(f.kerasName)' is not supported in \(kind)",
                hint: "use one of tanh, sigmoid, hard_sigmoid, relu, linear")
        }
        steps = inputShape[0]
        inputDim = inputShape[1]
        return returnSequences ? [steps, units] : [units]
    }

    /// Adds `kernel (in, width)`, `recurrent_kernel (u, width)` and, with `use_bias`, `bias (biasShape)`;
    /// `width` is `gates * u`. Call after `build(name:inputShape:)`, which sets `inputDim`.
    func addWeights(
        width: Int, biasShape: [Int], kernelInitializer: Initializer, recurrentInitializer: Initializer,
        biasInitializer: Initializer, to weights: inout WeightAllocator
    ) {
        let reg = regularization
        let k = weights.add(
            "kernel", shape: [inputDim, width], initializer: kernelInitializer, regularizer: reg.kernelRegularizer,
            constraint: reg.kernelConstraint)
        let r = weights.add(
            "recurrent_kernel", shape: [units, width], initializer: recurrentInitializer,
            regularizer: reg.recurrentRegularizer, constraint: reg.recurrentConstraint)
        kernel = k
        recurrentKernel = r
        weightHandles = [k, r]
        if useBias {
            let b = weights.add(
                "bias", shape: biasShape, initializer: biasInitializer, regularizer: reg.biasRegularizer,
                constraint: reg.biasConstraint)
            bias = b
            weightHandles.append(b)
        }
    }

    /// `x_t kernel` of every step in one GEMM: `(T, N, width)` in slot `.gates`, from `prepare(x)`.
    func inputProjection(_ x: Tensor, context: LayerContext, width: Int) -> Tensor {
        let xs = prepare(x, context: context)
        let z = work.buffer(.gates, [steps, rows, width])
        BLAS.gemm(
            xs, rowsA: steps * rows, colsA: inputDim, context.parameters.value(kernel!), rowsB: inputDim, colsB: width,
            into: z, pool: context.pool)
        return z
    }

    /// Parts a step's gate math splits the batch's rows into over `pool`: one per thread, each worth at least 2^17
    /// multiply-adds of the step's recurrent GEMM (`rows x units x width`), so the fork-join pays.
    func stepParts(_ pool: ThreadPool, width: Int) -> Int {
        min(pool.parts(rows), max(1, rows &* units &* width / (1 << 17)))
    }

    /// The time-major input `(T, N, in)` (time reversed for `go_backwards`, times the input dropout mask in
    /// training); also draws this batch's dropout masks.
    func prepare(_ x: Tensor, context: LayerContext) -> Tensor {
        let n = x.shape[0]
        precondition(x.count == n * steps * inputDim, "\(kind) input \(x.shape) does not match (N, \(steps), \(inputDim))")
        rows = n
        inputMask = nil
        recurrentMask = nil
        if context.training && dropout > 0 {
            let m = work.buffer(.inputMask, [n, inputDim])
            Kernels.dropoutMask(
                m, rows: n, width: inputDim, rate: dropout, rng: maskStream(context, 0x524E_4E44), firstRow: context.firstRow)
            inputMask = m
        }
        if context.training && recurrentDropout > 0 {
            let m = work.buffer(.recurrentMask, [n, units])
            Kernels.dropoutMask(
                m, rows: n, width: units, rate: recurrentDropout, rng: maskStream(context, 0x524E_4E52),
                firstRow: context.firstRow)
            recurrentMask = m
        }
        keep = nil
        outputScale = nil
        if let m = context.mask {
            precondition(m.count == n * steps, "\(kind): mask \(m.shape) does not match (N, \(steps))")
            let k = work.buffer(.keep, [steps, n]), s = work.buffer(.outputScale, [steps, n])
            Kernels.timestepMask(m, rows: n, steps: steps, reverse: goBackwards, zeroOutput: zeroOutputForMask, keep: k, outputScale: s)
            keep = k
            outputScale = s
        }
        let xs = work.buffer(.input, [steps, n, inputDim])
        Kernels.toTimeMajor(x, rows: n, steps: steps, features: inputDim, reverse: goBackwards, mask: inputMask, into: xs)
        input = xs
        return xs
    }

    /// Masks are keyed by (seed, layer, step, GLOBAL sample index, feature), as `Dropout`'s, so 1 rank and N
    /// ranks draw the same masks. `purpose` separates the input mask ("RNND") from the recurrent one ("RNNR").
    private func maskStream(_ context: LayerContext, _ purpose: UInt64) -> CounterRandom {
        CounterRandom(seed: context.seed, stream: purpose &+ (UInt64(context.layerIndex) << 32)).derived(UInt64(context.step))
    }

    /// Writes the initial value of state `k` (zeros, or the carried state of a stateful layer) into the first
    /// `(N, u)` block of `into`.
    func loadState(_ k: Int, into t: Tensor) {
        let n = rows * units
        if stateful {
            if carried.count != stateCount || carried[0].shape[0] != rows {
                precondition(
                    carried.isEmpty,
                    "\(kind): carried states have \(carried[0].shape[0]) rows but the batch has \(rows); the trainer checks stateful batching"
                )
                carried = (0..<stateCount).map { _ in Tensor(zeros: [rows, units]) }
            }
            Kernels.copy(carried[k], offset: 0, into: t, offset: 0, count: n)
        } else {
            t.rows(0..<1).fill(0)
        }
    }

    /// With recurrent dropout, the buffer `(T, N, u)` (slot `.maskedHidden`) that keeps the masked `h_{t-1}` of
    /// every step; nil without (no buffer is touched).
    func maskedHidden() -> Tensor? {
        recurrentMask.map { _ in work.buffer(.maskedHidden, [steps, rows, units]) }
    }

    /// Block `t` of `z` `(T, N, width)`: `z_t = h_{t-1} recurrent_kernel + beta z_t`. `h_{t-1}` is block `t` of
    /// `h` `(T+1, N, u)`, or, with recurrent dropout, that block times the mask, written into block `t` of
    /// `masked` `(T, N, u)` (kept for the recurrent_kernel gradient).
    /// With `packed` (`packedRecurrentKernel`; `beta` 0 or 1) the product runs against it, else through OpenBLAS.
    func addRecurrentProduct(
        hidden h: Tensor, masked: Tensor?, step t: Int, recurrentKernel r: Tensor, packed: PackedPanels?, width: Int,
        into z: Tensor, beta: Float = 1, pool: ThreadPool? = nil
    ) {
        if let packed {
            return addRecurrentProduct(
                hidden: h, masked: masked, step: t, packed: packed, into: z, rows: 0..<rows, accumulate: beta != 0)
        }
        let hPrev = previousHidden(h, masked: masked, step: t, rows: 0..<rows)
        BLAS.gemm(
            hPrev, rowsA: rows, colsA: units, r, rowsB: units, colsB: width, into: z.rows(t..<(t + 1)), beta: beta,
            pool: pool)
    }

    /// Backward, one step: `into` `(N, u)` = (`accumulate` ? `into` : 0) + block `t` of `gradients` `(T, N, width)`
    /// times `recurrent_kernelᵀ`, against `packed` (`packedRecurrentKernel(transposed: true)`) when there is one,
    /// else through OpenBLAS (split by columns over `pool`).
    func multiplyByRecurrentTranspose(
        _ gradients: Tensor, step t: Int, recurrentKernel r: Tensor, packed: PackedPanels?, width: Int, into: Tensor,
        accumulate: Bool = false, pool: ThreadPool? = nil
    ) {
        let g = gradients.rows(t..<(t + 1))
        if let packed { return packed.multiply(g, into: into, rows: 0..<rows, accumulate: accumulate) }
        BLAS.gemm(
            g, rowsA: rows, colsA: width, r, rowsB: units, colsB: width, transB: true, into: into,
            beta: accumulate ? 1 : 0, pool: pool)
    }

    /// `addRecurrentProduct` for rows `part` of the step only, against the recurrent kernel packed for this pass
    /// (`packedRecurrentKernel`): rows are independent, so the run's pool splits a step by rows and each part goes
    /// on to its rows' gate math without a second fork-join. `accumulate: false` is `beta = 0`.
    func addRecurrentProduct(
        hidden h: Tensor, masked: Tensor?, step t: Int, packed: PackedPanels, into z: Tensor, rows part: Range<Int>,
        accumulate: Bool = true
    ) {
        let hPrev = previousHidden(h, masked: masked, step: t, rows: part)
        packed.multiply(hPrev, into: z.rows(t..<(t + 1)), rows: part, accumulate: accumulate)
    }

    /// Block `t` of `h` `(T+1, N, u)`, or with recurrent dropout block `t` of `masked` `(T, N, u)` after writing its
    /// rows `part` as `h` times the mask.
    private func previousHidden(_ h: Tensor, masked: Tensor?, step t: Int, rows part: Range<Int>) -> Tensor {
        guard let masked, let mask = recurrentMask else { return h.rows(t..<(t + 1)) }
        let first = (t * rows + part.lowerBound) * units
        Kernels.multiply(h, offset: first, mask.rows(part), into: masked, offset: first, count: part.count * units)
        return masked.rows(t..<(t + 1))
    }

    /// The recurrent kernel `(u, width)` packed once for the per-step products of this pass (`PackedPanels`): as
    /// it is for the forward `h_{t-1} recurrent_kernel`, transposed for the backward `dz_t recurrent_kernelᵀ`. Nil
    /// where the CPU lacks the kernel: callers keep OpenBLAS.
    func packedRecurrentKernel(_ r: Tensor, width: Int, transposed: Bool) -> PackedPanels? {
        guard PackedPanels.isAvailable else { return nil }
        let k = transposed ? width : units, n = transposed ? units : width
        let storage = work.buffer(.packedRecurrentKernel, [PackedPanels.count(k: k, n: n)])
        return PackedPanels(r, k: k, n: n, transposed: transposed, storage: storage)
    }

    // MARK: timestep masks

    /// After step `t` of the forward pass: rows whose step is masked keep their states (block `t` of each
    /// `(T+1, N, u)` tensor copied into block `t+1`), as Keras's `rnn(mask=...)` does.
    func carrySkippedRows(step t: Int, _ states: [Tensor]) {
        guard let keep else { return }
        let block = rows * units
        for s in states {
            Kernels.copySkippedRows(
                s, offset: t * block, into: s, offset: (t + 1) * block, rows: rows, width: units, keep: keep, keepOffset: t * rows)
        }
    }

    /// Backward, before step `t`: keeps the rows of the carried gradients (`dh`, LSTM's `dc`, each `(N, u)`) whose
    /// step is masked, to restore them with `restoreSkippedRows` (a skipped step passes them through unchanged).
    func saveSkippedRows(step t: Int, _ carries: [Tensor]) {
        guard let keep else { return }
        let saved = work.buffer(.savedCarries, [carries.count, rows, units])
        for (i, c) in carries.enumerated() {
            Kernels.copySkippedRows(
                c, offset: 0, into: saved, offset: i * rows * units, rows: rows, width: units, keep: keep, keepOffset: t * rows)
        }
    }

    /// Backward, after step `t`: restores the rows saved by `saveSkippedRows` and zeros those rows of block `t` of
    /// each gate-gradient tensor `(T, N, width)`, so a skipped step adds nothing to the weight gradients.
    func restoreSkippedRows(step t: Int, _ carries: [Tensor], gateGradients: [Tensor], width: Int) {
        guard let keep else { return }
        let saved = work.buffer(.savedCarries, [carries.count, rows, units])
        for (i, c) in carries.enumerated() {
            Kernels.copySkippedRows(
                saved, offset: i * rows * units, into: c, offset: 0, rows: rows, width: units, keep: keep, keepOffset: t * rows)
        }
        for g in gateGradients {
            Kernels.zeroSkippedRows(g, offset: t * rows * width, rows: rows, width: width, keep: keep, keepOffset: t * rows)
        }
    }

    /// A stateful layer keeps state `k`'s final value (block `step` of the time-major `from`).
    func saveState(_ k: Int, from t: Tensor, step: Int) {
        guard stateful else { return }
        let n = rows * units
        Kernels.copy(t, offset: step * n, into: carried[k], offset: 0, count: n)
    }

    /// The layer output from the hidden states `h` `(T+1, N, u)` (block 0 is the initial state): the whole
    /// sequence `(N, T, u)` in processing order (reversed for `go_backwards`, as Keras returns it), or the last `h`.
    func output(hidden h: Tensor) -> Tensor {
        if returnSequences {
            let y = work.buffer(.output, [rows, steps, units])
            Kernels.fromTimeMajor(h, firstStep: 1, rows: rows, steps: steps, features: units, reverse: false, mask: nil, into: y)
            if let outputScale { Kernels.scaleSteps(y, rows: rows, steps: steps, width: units, timeMajor: false, by: outputScale) }
            return y
        }
        let y = work.buffer(.output, [rows, units])
        Kernels.copy(h, offset: steps * rows * units, into: y, offset: 0, count: rows * units)
        scaleLastStep(y)
        return y
    }

    /// The output gradient seen time-major: `(T, N, u)` for `return_sequences`, else nil (only the last step
    /// receives `dy`, `(N, u)`).
    func timeMajorOutputGradient(_ dy: Tensor) -> Tensor? {
        guard returnSequences else { return nil }
        let d = work.buffer(.timeMajorOutputGradient, [steps, rows, units])
        Kernels.toTimeMajor(dy, rows: rows, steps: steps, features: units, reverse: false, mask: nil, into: d)
        if let outputScale { Kernels.scaleSteps(d, rows: rows, steps: steps, width: units, timeMajor: true, by: outputScale) }
        return d
    }

    /// Adds the output gradient of step `t` into `dh` `(N, u)`.
    func addOutputGradient(step t: Int, dy: Tensor, timeMajor: Tensor?, into dh: Tensor) {
        let n = rows * units
        if let timeMajor {
            Kernels.add(timeMajor, offset: t * n, into: dh, offset: 0, count: n)
        } else if t == steps - 1 {
            Kernels.add(dy, offset: 0, into: dh, offset: 0, count: n)
            scaleLastStep(dh)  // dh held zeros: the last step is the first of the backward sweep
        }
    }

    /// Multiplies an `(N, u)` tensor by the last step's output multiplier (with a mask).
    private func scaleLastStep(_ x: Tensor) {
        guard let outputScale else { return }
        Kernels.scaleSteps(x, rows: rows, steps: 1, width: units, timeMajor: true, by: outputScale, scaleOffset: (steps - 1) * rows)
    }

    /// After the backward sweep, over all steps at once (`width` = `gates * u`):
    ///
    ///     kernel += xs^T dInput,   recurrent_kernel += h_{t-1}^T dRecurrent,   dxs = dInput kernel^T
    ///
    /// `h_{t-1}` is `hidden` `(T+1, N, u)` read from block 0, or the masked copy (`maskedHidden()`) with recurrent
    /// dropout. Returns the input gradient `(N, T, in)`; slot `.timeMajorInputGradient` holds the time-major `dxs`.
    func kernelGradients(
        dInput: Tensor, dRecurrent: Tensor, width: Int, hidden h: Tensor,
        parameters p: Parameters, pool: ThreadPool? = nil
    ) -> Tensor {
        let m = steps * rows
        BLAS.gemm(
            input!, rowsA: m, colsA: inputDim, transA: true, dInput, rowsB: m, colsB: width,
            into: p.gradient(kernel!), beta: 1, pool: pool)
        let hPrev = maskedHidden() ?? h
        BLAS.gemm(
            hPrev, rowsA: m, colsA: units, transA: true, dRecurrent, rowsB: m, colsB: width,
            into: p.gradient(recurrentKernel!), beta: 1, pool: pool)
        let dxs = work.buffer(.timeMajorInputGradient, [steps, rows, inputDim])
        BLAS.gemm(
            dInput, rowsA: m, colsA: width, p.value(kernel!), rowsB: inputDim, colsB: width, transB: true, into: dxs,
            pool: pool)
        return inputGradient(timeMajor: dxs)
    }

    /// The input gradient `(N, T, in)` from the time-major `dxs` (undoing `go_backwards` and the input mask).
    func inputGradient(timeMajor dxs: Tensor) -> Tensor {
        let dx = work.buffer(.inputGradient, [rows, steps, inputDim])
        Kernels.fromTimeMajor(dxs, rows: rows, steps: steps, features: inputDim, reverse: goBackwards, mask: inputMask, into: dx)
        return dx
    }

    // MARK: states

    var states: [Tensor] { carried }

    func resetStates() { for s in carried { s.fill(0) } }

    func setStates(_ new: [Tensor], layer: String) throws {
        guard stateful else {
            throw StrataError.usage(
                "layer '\(layer)' is not stateful, so it carries no states to set",
                hint: "create it with stateful: true")
        }
        guard new.count == stateCount else {
            throw StrataError.invalidArgument(
                "layer '\(layer)' has \(stateCount) state(s), got \(new.count)",
                hint: kind == "LSTM" ? "pass [h, c]" : "pass [h]")
        }
        let r = new[0].shape.first ?? 0
        for (k, s) in new.enumerated() where s.shape != [r, units] {
            throw StrataError.invalidArgument(
                "state \(k) of layer '\(layer)' has shape \(s.shape), expected [\(r), \(units)] like state 0",
                hint: "states are (rows, units) with the rows this process runs")
        }
        carried = new.map { $0.copy() }
    }

    /// The config keys LSTM, GRU and SimpleRNN share (plus `recurrent_activation` where the layer has one).
    var configEntries: [String: JSONValue] {
        var c: [String: JSONValue] = [
            "units": JSONValue(units), "activation": .string(activation.kerasName), "use_bias": .bool(useBias),
            "return_sequences": .bool(returnSequences), "return_state": .bool(false), "go_backwards": .bool(goBackwards),
            "stateful": .bool(stateful), "unroll": .bool(false), "zero_output_for_mask": .bool(zeroOutputForMask),
            "dropout": JSONValue(dropout),
            "recurrent_dropout": JSONValue(recurrentDropout),
        ]
        if let recurrentActivation { c["recurrent_activation"] = .string(recurrentActivation.kerasName) }
        return c.merging(regularization.config) { a, _ in a }
    }
}

/// The workspace slots of a recurrent layer (its `RecurrentCore`'s `work`), time-major `(T, N, ...)`. `gates` holds
/// every step's pre-activations `x_t kernel (+ h_{t-1} recurrent_kernel)` (LSTM 4u wide, GRU's input part 3u,
/// SimpleRNN u); GRU keeps its recurrent part apart (`recurrentPart`, reset gate applied after the product).
enum RecurrentSlot: Hashable {
    /// Filled by `RecurrentCore`: the time-major (masked) input, the dropout masks, the output, the time-major output
    /// gradient, the masked `h_{t-1}`, and the input gradient time-major and batch-major.
    case input, inputMask, recurrentMask, output, timeMajorOutputGradient, maskedHidden, timeMajorInputGradient,
        inputGradient
    /// Filled by the layers: forward `gates`, GRU's `recurrentPart`, `hidden (T+1, N, u)`, LSTM's `cells (T+1, N, u)`
    /// and `activatedCells` (`a(c_t)`).
    case gates, recurrentPart, hidden, cells, activatedCells
    /// Backward: gradients of `gates` and `recurrentPart`, and the per-step `(N, u)` carries `dh`, LSTM's `dc`, GRU's
    /// `dh` through the recurrent part.
    case gateGradients, recurrentPartGradients, hiddenGradient, cellGradient, recurrentHiddenGradient
    /// Timestep masks: `keep` and `outputScale` `(T, N)`, and the carried gradients of masked rows kept across a
    /// backward step.
    case keep, outputScale, savedCarries
    /// The recurrent kernel packed for one pass's per-step products (`packedRecurrentKernel`).
    case packedRecurrentKernel
}

/// The Keras config keys every recurrent layer accepts, and their parsing.
struct RecurrentConfig {
    /// Keys read here, and keys that only choose how Keras runs the same computation (`unroll`, `implementation`,
    /// `use_cudnn`; `seed` draws Keras's own dropout masks, Strata's come from the run seed).
    static let keys: Set<String> = Set([
        "units", "activation", "use_bias", "kernel_initializer", "recurrent_initializer",
        "bias_initializer", "dropout", "recurrent_dropout", "seed", "return_sequences",
        "go_backwards", "stateful", "unroll", "implementation", "use_cudnn",
        "zero_output_for_mask",
    ]).union(WeightRegularization.keys).union(WeightRegularization.recurrentKeys)
    static let unsupported: [UnsupportedArgument] = [
        UnsupportedArgument(
            "return_state", accepting: [false],
            hint: "remove return_state (a layer of a Sequential model has one output)"),
        UnsupportedArgument("time_major", accepting: [false], hint: "feed (batch, timesteps, features) and drop time_major"),
    ]
    let units: Int
    let activation: ActivationFunction
    let useBias: Bool
    let kernelInitializer: Initializer
    let recurrentInitializer: Initializer
    let biasInitializer: Initializer
    /// `recurrent_activation` (default sigmoid); the key is rejected by `checkArguments` unless the layer has it.
    let recurrentActivation: ActivationFunction
    let dropout: Float
    let recurrentDropout: Float
    let returnSequences: Bool
    let goBackwards: Bool
    let stateful: Bool
    let zeroOutputForMask: Bool
    let io: (inputShape: [Int]?, inputDim: Int?, batchSize: Int?, batchInputShape: [Int]?)
    let inputLength: Int?
    let regularization: WeightRegularization

    /// Runs the shared argument check with the layer's own keys and unsupported arguments, then reads the values.
    init(_ c: LayerConfig, extraKeys: Set<String>, unsupported extraUnsupported: [UnsupportedArgument] = []) throws {
        try c.checkArguments(Self.keys.union(extraKeys), unsupported: Self.unsupported + extraUnsupported)
        units = try c.requiredInt("units")
        activation = c.values["activation"] == nil ? .tanh : try c.activation()
        useBias = try c.bool("use_bias") ?? true
        kernelInitializer = try c.initializer("kernel_initializer", default: .glorotUniform)
        recurrentInitializer = try c.initializer("recurrent_initializer", default: .orthogonal(gain: 1))
        biasInitializer = try c.initializer("bias_initializer", default: .zeros)
        recurrentActivation = c.values["recurrent_activation"] == nil ? .sigmoid : try c.activation("recurrent_activation")
        dropout = Float(try c.double("dropout") ?? 0)
        recurrentDropout = Float(try c.double("recurrent_dropout") ?? 0)
        returnSequences = try c.bool("return_sequences") ?? false
        goBackwards = try c.bool("go_backwards") ?? false
        stateful = try c.bool("stateful") ?? false
        zeroOutputForMask = try c.bool("zero_output_for_mask") ?? false
        io = try c.inputArguments()
        inputLength = try c.int("input_length")
        regularization = try WeightRegularization(config: c)
    }
}
