/// Keras's `Sequential` model: a linear stack of layers, built from the first layer's input shape, trained with
/// `compile` + `fit`, used with `evaluate` and `predict`.
///
/// The model holds the layers, the parameters, what `compile` was given, and the forward and backward passes.
/// The run (communicator, position, step buffers, callbacks) belongs to the `Trainer` that each `fit`, `evaluate`
/// and `predict` makes (Sequential+Training.swift, Training/Trainer.swift).
///
/// Two seeds, never conflated: the initialisation seed (`Sequential(..., seed: 42)`, `seed`) draws the weights when
/// the model is built and has none yet; the run seed (`fit(seed:)`, else the model's `seed`) draws shuffles, dropout
/// masks and noise (`runSeed`). A model loaded from a file keeps the file's weights whatever the run seed. Without
/// a seed one is drawn (and recorded in checkpoints).
public final class Sequential {
    public private(set) var layers: [Layer] = []
    public var name: String
    /// The initialisation seed given by the user, if any.
    public let requestedSeed: UInt64?
    /// The initialisation seed: the requested one, the first `fit(seed:)`'s when the model had neither a seed nor
    /// weights, or one drawn when the model was built (a checkpoint's recorded one once loaded from it).
    public internal(set) var seed: UInt64
    /// Whether `seed` holds a seed yet (requested, adopted or drawn).
    var hasSeed: Bool
    /// Whether `seed` was drawn at random here (no seed given anywhere): `fit` then prints it.
    var seedDrawn = false
    /// The run seed of the current (or last) `fit`: shuffles, dropout masks and noise derive from it. Before any
    /// `fit`, the initialisation seed.
    public var runSeed: UInt64 { lastRunSeed ?? seed }
    var lastRunSeed: UInt64?

    public private(set) var parameters: Parameters?
    /// Input shape without the batch axis, known once built.
    public private(set) var inputShape: [Int]?
    /// Output shape of each layer without the batch axis.
    public private(set) var layerOutputShapes: [[Int]] = []
    /// The layout of the loss and metric sums (set with the metrics when training or evaluation starts).
    var figures = FigureSums(metrics: [], outputShape: [])
    /// The fixed global batch size, when the first layer gave one (`batchSize` / `batchInputShape`).
    public private(set) var fixedBatchSize: Int?
    /// Weight handles of each layer (Keras's order).
    public private(set) var layerWeights: [[ParameterHandle]] = []

    public internal(set) var optimizer: Optimizer?
    public internal(set) var optimizerState: OptimizerState?
    public internal(set) var loss: Loss?
    public internal(set) var metrics: [Metric] = []
    var compileError: Error?
    var metricSpecs: [MetricSpec] = []
    /// Keras's `weighted_metrics`: metrics that take the sample / class weights.
    var weightedMetricSpecs: [MetricSpec] = []
    /// What `compile` was given, for configs and checkpoints (`training_config`).
    public internal(set) var compileSpec: (optimizer: String, loss: String, metrics: [String])?

    /// The activity regularizers' penalties and kept outputs of the last forward pass.
    let activity = ActivityPenalties()
    /// The timestep mask of the last forward pass's output, `(batch, timesteps)` of 1/0 (nil when the output carries
    /// none): Keras weights the loss and metrics by it.
    private(set) var outputMask: Tensor?
    /// Input gradients and per-call scratch lent to the layers (one set per model, not per layer).
    let sharedBuffers = SharedBuffers()
    /// Per layer, whether the last forward pass allowed its input gradient over its input (aliasing rule 5).
    private var gradientOverInput: [Bool] = []
    /// Aliasing rule 5 on (the default) or off: the same numbers either way (tests compare them).
    var aliasInputGradients = true
    /// Per-layer forward/backward timing, off (nil) unless a profiler attaches one.
    public var layerTimer: LayerTimer?
    /// Row-sparse gradient zeroing and updates for `Embedding` weights on one process (identical results;
    /// `false` forces the dense step, e.g. to compare them).
    public var rowSparseUpdates = true
    /// How `fit` moves gradients between ranks: overlapped buckets and row-sparse Embedding traffic by default
    /// (`GradientCommunication`); the weights are the same whatever the setting.
    public var communication = GradientCommunication()
    /// The run in progress (only for the deprecated `communicator` / `stopTraining` accessors).
    package weak var activeRun: TrainingContext?
    /// Where the last `fit` ended (epoch, history, callback state): what `save` records outside training, so a
    /// model saved after `fit` resumes where its training ended.
    package var finishedRun: TrainingState?

    /// Keras `Sequential(layers, name)`; `seed` initialises the weights (and is the default run seed).
    public init(_ layers: [Layer] = [], name: String = "sequential", seed: UInt64? = nil) {
        self.name = name
        requestedSeed = seed
        self.seed = seed ?? 0
        hasSeed = seed != nil
        for l in layers { add(l) }
    }

    /// Appends a layer (only the first layer needs an input shape).
    public func add(_ layer: Layer) {
        if layer.name.isEmpty {
            let stem = layer.nameStem
            let taken = Set(layers.map(\.name))
            var candidate = stem
            var k = 1
            while taken.contains(candidate) { candidate = "\(stem)_\(k)"; k += 1 }
            layer.name = candidate
        }
        layers.append(layer)
        parameters = nil
    }

    /// Keras `model.built`: whether the weights exist (the first layer knew its input shape).
    public var isBuilt: Bool { parameters != nil }
    /// Keras `model.output_shape` without the batch axis (nil until built).
    public var outputShape: [Int]? { layerOutputShapes.last }

    /// Builds the model for data whose samples have shape `sampleShape`, unless it is built: the first layer's own
    /// input shape wins when it has one (then a different `sampleShape` is an error naming both).
    public func buildIfNeeded(sampleShape: [Int]) throws {
        if isBuilt { return }
        try build(inputShape: layers.first?.inputSpec?.shape == nil ? sampleShape : nil)
    }

    /// Builds every layer from the first layer's input shape (or `inputShape`) and initialises the weights.
    public func build(inputShape given: [Int]? = nil) throws {
        guard let first = layers.first else {
            throw StrataError.usage("the model has no layers", hint: "add layers with Sequential([...]) or model.add(...)")
        }
        if case let .invalidModel(_, what, hint)? = first.inputError {
            throw StrataError.invalidModel(layer: first.name, what, hint: hint)
        }
        if let e = first.inputError { throw e }
        var shape: [Int]
        if let s = first.inputSpec?.shape {
            if let g = given, g != s {
                throw StrataError.invalidModel(
                    layer: first.name, "the data has samples of shape \(g) but the layer expects \(s)",
                    hint: "reshape the data or change the input shape")
            }
            shape = s
        } else if let g = given {
            shape = g
        } else {
            throw StrataError.invalidModel(
                layer: first.name, "the first layer has no input shape",
                hint: "give the first layer inputShape:, inputDim:, or batchInputShape: (e.g. Dense(32, inputShape: [784]))")
        }
        fixedBatchSize = first.inputSpec?.batchSize
        inputShape = shape
        var allocator = WeightAllocator()
        var shapes: [[Int]] = []
        var perLayer: [[ParameterHandle]] = []
        for l in layers {
            let before = allocator.handles.count
            do {
                shape = try l.build(inputShape: shape, weights: &allocator)
            } catch let e as StrataError {
                if case .invalidModel = e { throw e }
                throw StrataError.invalidModel(layer: l.name, e.localizedDescription, hint: "")
            }
            shapes.append(shape)
            perLayer.append(Array(allocator.handles[before...]))
        }
        layerOutputShapes = shapes
        layerWeights = perLayer
        if !hasSeed {
            seed = CounterRandom.freshSeed()
            hasSeed = true
            seedDrawn = true
        }
        let p = Parameters(handles: allocator.handles, count: allocator.total)
        p.initialize(seed: seed)
        for case let l as PresetWeights in layers { l.presetWeights(p) }
        parameters = p
        optimizerState = optimizer.map { OptimizerState(optimizer: $0, parameterCount: p.count) }
    }

    /// Replaces the initialisation seed and re-initialises the weights from it (their current values are lost).
    public func reseed(_ newSeed: UInt64) {
        adoptSeeds(initialization: newSeed)
        parameters?.initialize(seed: newSeed)
    }

    /// Records the seeds a run uses (rank 0's under MPI, or a checkpoint's) without touching the weights.
    public func adoptSeeds(initialization: UInt64, run: UInt64? = nil) {
        seed = initialization
        hasSeed = true
        seedDrawn = false
        if let run { lastRunSeed = run }
    }

    // MARK: compile

    /// Keras `compile(optimizer, loss, metrics, weighted_metrics)`; names are checked when training starts, with a
    /// clear error. `metrics` ignore sample and class weights, `weightedMetrics` use them (as in Keras); a weighted
    /// metric whose name a metric already has is reported as `weighted_<name>`.
    public func compile(optimizer: Optimizer, loss: Loss, metrics: [MetricSpec] = [], weightedMetrics: [MetricSpec] = []) {
        self.optimizer = optimizer
        self.loss = loss
        compileError = nil
        metricSpecs = metrics
        weightedMetricSpecs = weightedMetrics
        self.metrics = []
        compileSpec = (optimizer.name.lowercased(), loss.name, metrics.map(\.name) + weightedMetrics.map { "weighted:" + $0.name })
        if let p = parameters {
            optimizerState = OptimizerState(optimizer: optimizer, parameterCount: p.count)
        }
    }

    /// `compile` by Keras ids: `compile(optimizer: "rmsprop", loss: "binary_crossentropy", metrics: ["accuracy"])`.
    public func compile(optimizer: String, loss: String, metrics: [MetricSpec] = [], weightedMetrics: [MetricSpec] = []) {
        do {
            compile(
                optimizer: try Optimizers.named(optimizer), loss: try Losses.named(loss), metrics: metrics,
                weightedMetrics: weightedMetrics)
        } catch { recordCompileError(error, metrics) }
    }

    /// `compile` with an optimizer instance and a loss id.
    public func compile(optimizer: Optimizer, loss: String, metrics: [MetricSpec] = [], weightedMetrics: [MetricSpec] = []) {
        do { compile(optimizer: optimizer, loss: try Losses.named(loss), metrics: metrics, weightedMetrics: weightedMetrics) } catch {
            recordCompileError(error, metrics)
        }
    }

    /// `compile` with an optimizer id and a loss instance.
    public func compile(optimizer: String, loss: Loss, metrics: [MetricSpec] = [], weightedMetrics: [MetricSpec] = []) {
        do { compile(optimizer: try Optimizers.named(optimizer), loss: loss, metrics: metrics, weightedMetrics: weightedMetrics) } catch {
            recordCompileError(error, metrics)
        }
    }

    private func recordCompileError(_ error: Error, _ metrics: [MetricSpec]) {
        compileError = error
        metricSpecs = metrics
    }

    /// Resolves metrics against the output shape (Keras 3's shape rule for "accuracy") and checks compile.
    func resolveCompile(targetShape: [Int]) throws {
        if let compileError { throw compileError }
        guard let loss, optimizer != nil else {
            throw StrataError.usage("the model is not compiled", hint: "call model.compile(optimizer:loss:metrics:) before fit or evaluate")
        }
        metrics = try metricSpecs.map { try $0.resolve(outputShape: outputShape ?? [], targetShape: targetShape, loss: loss) }
        var taken = Set(metrics.map(\.name))
        for spec in weightedMetricSpecs {
            var m = try spec.resolve(outputShape: outputShape ?? [], targetShape: targetShape, loss: loss)
            if taken.contains(m.name) {  // Keras reports it as weighted_<name>
                m = try spec.resolve(outputShape: outputShape ?? [], targetShape: targetShape, loss: loss, name: "weighted_" + m.name)
            }
            taken.insert(m.name)
            metrics.append(m)
        }
        figures = FigureSums(
            metrics: metrics, weighted: metricSpecs.map { _ in false } + weightedMetricSpecs.map { _ in true },
            outputShape: outputShape ?? [], masked: outputCarriesMask)
        let names = ["loss"] + metrics.map(\.name)
        if Set(names).count != names.count {
            throw StrataError.invalidArgument("metric names repeat: \(names)", hint: "give each metric a distinct name")
        }
    }

    // MARK: weights

    /// Keras `get_weights()`: every weight in Keras's order and shapes (Dense kernel `(in, units)` then bias).
    public func getWeights() -> [Tensor] {
        guard let p = parameters else { return [] }
        return p.handles.map { p.value($0).copy() }
    }

    /// Keras `set_weights(weights)`: same count, order and shapes as `getWeights()`.
    public func setWeights(_ weights: [Tensor]) throws {
        if parameters == nil { try build() }
        let p = parameters!
        guard weights.count == p.handles.count else {
            throw StrataError.invalidArgument(
                "setWeights got \(weights.count) arrays, the model has \(p.handles.count)",
                hint: "pass the arrays in the order of getWeights()")
        }
        for (i, (w, h)) in zip(weights, p.handles).enumerated() where w.shape != h.shape {
            throw StrataError.invalidArgument(
                "weight \(i) (\(h.name)) has shape \(w.shape), expected \(h.shape)",
                hint: "pass the arrays in the order and shapes of getWeights()")
        }
        for (w, h) in zip(weights, p.handles) { p.value(h).assign(w) }
    }

    /// Keras `count_params()`.
    public func countParams() -> Int { parameters?.count ?? 0 }

    /// Resets the carried state of every stateful layer (Keras 2's `model.reset_states()`).
    public func resetStates() { for l in layers { l.resetStates() } }

    // MARK: forward / backward

    func forward(
        _ x: Tensor, training: Bool, step: Int, firstRow: Int, threads: Int? = nil, pool: ThreadPool? = nil,
        sumOverRanks: ((inout [Double]) -> Void)? = nil
    ) -> Tensor {
        forward(
            x, training: training, step: step, firstRow: firstRow, threads: threads, pool: pool, sumOverRanks: sumOverRanks,
            layerStart: { _ in })
    }

    /// The forward pass; `layerStart(i)` runs before layer `i` reads its weights (ZeRO-1's overlapped weight gather
    /// waits there for the layer's pieces, `WeightGather`).
    func forward(
        _ x: Tensor, training: Bool, step: Int, firstRow: Int, threads: Int?, pool: ThreadPool?,
        sumOverRanks: ((inout [Double]) -> Void)?, layerStart: (Int) throws -> Void
    ) rethrows -> Tensor {
        var context = LayerContext(
            training: training, parameters: parameters!, step: step, firstRow: firstRow, seed: runSeed,
            shared: sharedBuffers, threads: threads, pool: pool)
        context.sumOverRanks = sumOverRanks
        var h = x
        activity.reset()
        // The layer whose output `h` shares storage with (nil: the caller's `x`); views (Flatten) keep it.
        var producer: Int?
        var reuse = SharedBuffers.InputReuse()
        if gradientOverInput.count != layers.count { gradientOverInput = Array(repeating: false, count: layers.count) }
        sharedBuffers.startForward()
        for (i, l) in layers.enumerated() {
            try layerStart(i)
            context.layerIndex = i
            if i > 0 { context.mask = (layers[i - 1] as? MaskPropagating)?.outputMask(inputMask: context.mask) }
            context.mayOverwriteInput = SharedBuffers.mayOverwrite(outputOf: producer.map { layers[$0] }, training: training)
            gradientOverInput[i] = aliasInputGradients && reuse.allows(training: training)
            context.mayBorrowOutput = aliasInputGradients && i < layers.count - 1
            let input = h
            if let timer = layerTimer {
                let start = LayerTimer.now()
                h = l.forward(h, context: context)
                timer.addForward(i, since: start, samples: x.shape.first ?? 0)
            } else {
                h = l.forward(h, context: context)
            }
            let fresh = !SharedBuffers.overlap(h, input)
            if fresh { producer = i }
            if aliasInputGradients && fresh && reuse.inputDies(after: l, training: training) { sharedBuffers.lend(input) }
            reuse.record(l, output: h, input: input)
            activity.record(l, index: i, output: h, training: training)
        }
        outputMask = (layers.last as? MaskPropagating)?.outputMask(inputMask: context.mask)
        return h
    }

    /// The last layer and the loss, when the loss is computed from that layer's logits (softmax/sigmoid output +
    /// crossentropy, as Keras's TensorFlow backend does): asked once per run; backward then starts at the logits.
    func logitsOutput(for loss: Loss) -> (layer: LogitsProducing, loss: LogitsLoss)? {
        guard let last = layers.last as? LogitsProducing, let l = loss as? LogitsLoss,
            l.consumesLogits(of: last.outputActivation), (last as? ActivityRegularized)?.activityRegularizer == nil
        else { return nil }
        return (last, l)
    }

    /// Backward from `dy`, the gradient with respect to the output (or to the last layer's logits, `fromLogits`).
    /// `activityScale` is `1 / global batch size` (the activity regularizers' factor).
    func backward(
        _ dy: Tensor, fromLogits: Bool, step: Int, firstRow: Int, threads: Int? = nil, pool: ThreadPool? = nil,
        sumOverRanks: ((inout [Double]) -> Void)? = nil, activityScale: Float = 0
    ) {
        backward(
            dy, fromLogits: fromLogits, step: step, firstRow: firstRow, threads: threads, pool: pool,
            sumOverRanks: sumOverRanks, activityScale: activityScale, layerDone: { _ in })
    }

    /// Backward, calling `layerDone(i)` once layer `i`'s weight gradients are final (the trainer starts their
    /// all-reduce then). The layers at `overwriting` store their `WeightGradientWriting` gradients instead of adding.
    func backward(
        _ dy: Tensor, fromLogits: Bool, step: Int, firstRow: Int, threads: Int?, pool: ThreadPool?,
        sumOverRanks: ((inout [Double]) -> Void)?, activityScale: Float, overwriting: Set<Int> = [],
        layerDone: (Int) throws -> Void
    ) rethrows {
        var context = LayerContext(
            training: true, parameters: parameters!, step: step, firstRow: firstRow, seed: runSeed,
            shared: sharedBuffers, threads: threads, pool: pool)
        context.sumOverRanks = sumOverRanks
        var g = dy
        for i in stride(from: layers.count - 1, through: 0, by: -1) {
            context.layerIndex = i
            let start = layerTimer == nil ? 0 : LayerTimer.now()
            context.needsInputGradient = i > 0
            context.overwritesWeightGradients = overwriting.contains(i)
            activity.addGradient(layers[i], index: i, scale: activityScale, into: g)
            context.gradientMayOverwriteInput = i < gradientOverInput.count && gradientOverInput[i]
            if i == layers.count - 1 && fromLogits, let l = layers[i] as? LogitsProducing {
                g = l.backward(fromLogits: g, context: context)
            } else {
                g = layers[i].backward(g, context: context)
            }
            layerTimer?.addBackward(i, since: start, samples: dy.shape.first ?? 0)
            try layerDone(i)
        }
    }

    /// A deterministic description of the architecture (for cross-rank agreement checks and checkpoints).
    public var configFingerprint: String {
        layers.map { "\($0.className)(\(JSONValue.object($0.config).jsonText))" }.joined(separator: ";")
            + " input=\(inputShape ?? [])"
    }
}
