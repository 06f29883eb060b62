/// A Keras optimizer updating the flat parameter buffer in one loop.
///
/// Slots (momenta, accumulators) are tensors with the parameter buffer's layout; `scalars` is per-optimizer
/// scalar state (Nadam's momentum product). The learning rate used at step `t` (iterations before the update) is
/// `learningRate / (1 + decay * t)`: Keras 2's `decay`, Keras 3's `InverseTimeDecay(lr, 1, decay)`.
public protocol Optimizer: AnyObject {
    /// Keras's class name (`SGD`, `RMSprop`, `Adam`...).
    var name: String { get }
    /// The base learning rate (callbacks such as ReduceLROnPlateau change it).
    var learningRate: Float { get set }
    /// Keras 2's inverse-time decay of the learning rate per iteration (0: none).
    var decay: Float { get }
    /// Names of the per-parameter slots, in checkpoint order.
    var slotNames: [String] { get }
    /// Initial value of slot `i` (Adagrad's accumulator starts at 0.1).
    func slotInitialValue(_ i: Int) -> Float
    /// Initial scalar state.
    var initialScalars: [Double] { get }
    /// Applies one update to `values` from `gradients`, `lr` being the effective learning rate of this step.
    func update(values: Tensor, gradients: Tensor, slots: [Tensor], scalars: inout [Double], iteration: Int, lr: Float)
    /// Keras's `get_config()` of the optimizer's own arguments (`kerasConfig` adds the base ones).
    var config: [String: JSONValue] { get }
    /// Weight decay, clipping, EMA and the learning-rate schedule (Keras's base-optimizer arguments).
    var options: OptimizerOptions { get set }
    /// Throws for arguments Keras refuses (Ftrl's negative strengths...); the base ones are checked too.
    func validateArguments() throws
}

extension Optimizer {
    public var initialScalars: [Double] { [] }
    public func slotInitialValue(_ i: Int) -> Float { 0 }
    public func validateArguments() throws {}

    /// The learning rate Keras would use at step `iteration`: the schedule's value there, or the constant rate
    /// with Keras 2's `decay`.
    public func effectiveLearningRate(iteration: Int) -> Float {
        if let schedule = options.schedule { return schedule(iteration) }
        return decay == 0 ? learningRate : Float(Double(learningRate) / (1 + Double(decay) * Double(iteration)))
    }

    /// The optimizer's and the base arguments' checks together (run by `Optimizers.make` and before `fit`).
    public func validate() throws {
        try validateArguments()
        try options.validate(optimizer: name, decay: decay)
    }

    /// Keras's full `get_config()`: the optimizer's arguments, the base arguments that are set, and the schedule
    /// (serialised as Keras does) as `learning_rate`.
    public var kerasConfig: [String: JSONValue] { config.merging(options.config) { $1 } }

    /// Sets the constant learning rate as a callback does; Keras refuses when the optimizer has a schedule.
    public func setLearningRate(_ lr: Float, by caller: String) throws {
        if options.schedule != nil {
            throw StrataError.usage(
                "\(caller) cannot set the learning rate: this \(name) optimizer was created with a learning-rate schedule (\(options.schedule!.className)) as its learning rate, so its learning rate is not settable",
                hint: "use a number as the optimizer's learning rate with \(caller), or drop \(caller) and let the schedule set it")
        }
        learningRate = lr
    }

    /// Keras's base-optimizer arguments set fluently, e.g. `Adam(learningRate: 1e-3).with(clipnorm: 1)`; nil
    /// leaves an argument as it is.
    @discardableResult
    public func with(
        weightDecay: Float? = nil, clipnorm: Float? = nil, clipvalue: Float? = nil, globalClipnorm: Float? = nil,
        useEma: Bool? = nil, emaMomentum: Float? = nil, emaOverwriteFrequency: Int? = nil
    ) -> Self {
        if let weightDecay { options.weightDecay = weightDecay }
        if let clipnorm { options.clipnorm = clipnorm }
        if let clipvalue { options.clipvalue = clipvalue }
        if let globalClipnorm { options.globalClipnorm = globalClipnorm }
        if let useEma { options.useEma = useEma }
        if let emaMomentum { options.emaMomentum = emaMomentum }
        if let emaOverwriteFrequency { options.emaOverwriteFrequency = emaOverwriteFrequency }
        return self
    }

    /// The slot names a checkpoint holds: the optimizer's, then the EMA of the weights when `use_ema` is on.
    public var stateSlotNames: [String] { slotNames + (options.useEma ? ["average"] : []) }
}

/// Everything an optimizer carries between steps: saved in checkpoints, broadcast from rank 0.
public final class OptimizerState {
    public var iterations: Int
    /// The slots, current: reading them first finishes any update a row-sparse step deferred (`DeferredSlotUpdates`);
    /// setting them drops it.
    public var slots: [Tensor] {
        get {
            settle()
            return storedSlots
        }
        set {
            deferred?.discard()
            deferred = nil
            storedSlots = newValue
        }
    }
    /// The slots as they are, with updates still deferred: for the step that defers them.
    private(set) var storedSlots: [Tensor]
    /// The step whose zero-gradient updates of untouched rows wait in `storedSlots` (nil: none wait).
    var deferred: DeferredSlotUpdates?
    /// Scalars per slot (the parameter buffer's size).
    public let parameterCount: Int
    public var scalars: [Double]
    /// While a sharded run (ZeRO-1, `OptimizerShard`) trains: the part of the parameter buffer whose slots this
    /// rank holds (each slot is then that part only); nil: every slot is whole.
    public internal(set) var shard: Range<Int>?

    public init(optimizer: Optimizer, parameterCount: Int) {
        iterations = 0
        self.parameterCount = parameterCount
        storedSlots = optimizer.slotNames.indices.map { Tensor(zeros: [parameterCount], repeating: optimizer.slotInitialValue($0)) }
        scalars = optimizer.initialScalars
        ensureSlots(for: optimizer)
    }

    /// Adds the EMA slot (zeros, as Keras starts it) when `use_ema` was switched on after the state was made.
    public func ensureSlots(for optimizer: Optimizer) {
        while storedSlots.count < optimizer.stateSlotNames.count { storedSlots.append(Tensor(zeros: [shard?.count ?? parameterCount])) }
    }

    /// Finishes the deferred updates, if any, so `storedSlots` hold what the dense steps would have left.
    func settle() {
        guard let d = deferred else { return }
        deferred = nil
        d.settle(self)
    }

    /// The scalars of weight `h` in this rank's part of the buffer (all of them without a shard), and where they
    /// sit in the slots.
    func local(_ h: ParameterHandle) -> (values: Range<Int>, slots: Range<Int>) {
        let part = shard ?? 0..<parameterCount
        let r = (h.offset..<(h.offset + h.count)).clamped(to: part)
        return (r, (r.lowerBound - part.lowerBound)..<(r.upperBound - part.lowerBound))
    }

    /// The whole slots, gathered from every rank's part (every rank must call it), while a sharded run trains;
    /// nil when the slots are whole already. What a checkpoint written during a sharded run holds.
    public func gatheredSlots(_ comm: Communicator) throws -> [Tensor]? {
        guard shard != nil else { return nil }
        return try slots.map { try comm.allGatherRows($0) }
    }
}

/// A training step that leaves part of the optimizer's work on the slots for later, exactly (`RowSparseStep`: an
/// Embedding's untouched rows decay lazily). `OptimizerState` calls `settle` before anyone reads the slots, and
/// `discard` when they are replaced.
protocol DeferredSlotUpdates: AnyObject {
    /// Applies every deferred update to `state.storedSlots`.
    func settle(_ state: OptimizerState)
    /// Forgets the deferred updates (the slots were replaced).
    func discard()
}
