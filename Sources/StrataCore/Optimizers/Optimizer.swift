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
            throw StrataError.usage("\(caller) cannot set the learning rate: this \(name) optimizer was created with a learning-rate schedule (\(options.schedule!.className)) as its learning rate, so its learning rate is not settable",
                                    hint: "use a number as the optimizer's learning rate with \(caller), or drop \(caller) and let the schedule set it")
        }
        learningRate = lr
    }

    /// Keras's base-optimizer arguments set fluently, e.g. `Adam(learningRate: 1e-3).with(clipnorm: 1)`; nil
    /// leaves an argument as it is.
    @discardableResult
    public func with(weightDecay: Float? = nil, clipnorm: Float? = nil, clipvalue: Float? = nil, globalClipnorm: Float? = nil,
                     useEma: Bool? = nil, emaMomentum: Float? = nil, emaOverwriteFrequency: Int? = nil) -> Self {
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
    public var slots: [Tensor]
    /// Scalars per slot (the parameter buffer's size).
    public let parameterCount: Int
    public var scalars: [Double]

    public init(optimizer: Optimizer, parameterCount: Int) {
        iterations = 0
        self.parameterCount = parameterCount
        slots = optimizer.slotNames.indices.map { Tensor(zeros: [parameterCount], repeating: optimizer.slotInitialValue($0)) }
        scalars = optimizer.initialScalars
        ensureSlots(for: optimizer)
    }

    /// Adds the EMA slot (zeros, as Keras starts it) when `use_ema` was switched on after the state was made.
    public func ensureSlots(for optimizer: Optimizer) {
        while slots.count < optimizer.stateSlotNames.count { slots.append(Tensor(zeros: [parameterCount])) }
    }
}

/// Optimizer lookup by Keras string id or class name, with Keras 3 defaults.
public enum Optimizers {
    public static func named(_ id: String) throws -> Optimizer { try make(id, arguments: [:]) }

    /// Makes an optimizer from a Keras name and Keras-style arguments (`learning_rate` or `lr`, `momentum`...,
    /// the base arguments of `OptimizerOptions`); `learning_rate` may be a schedule (`{ExponentialDecay: {...}}` or
    /// Keras's serialised `{"class_name": "ExponentialDecay", "config": {...}}`). Unknown arguments are an error.
    public static func make(_ id: String, arguments: [String: JSONValue]) throws -> Optimizer {
        var a = OptimizerArguments("optimizer \(id)", arguments)
        a.rename("lr", to: "learning_rate")
        func lr(_ d: Float) throws -> any LearningRateConvertible {
            guard let v = a.take("learning_rate") else { return d }
            if v.objectValue != nil { return try LearningRateSchedules.make(v) }
            guard let n = v.doubleValue else { throw a.fail("learning_rate", "a number or a schedule", v) }
            return Float(n)
        }
        let known: [String]
        let opt: Optimizer
        switch id.lowercased() {
        case "sgd":
            known = ["decay", "momentum", "nesterov"]
            opt = SGD(learningRate: try lr(0.01), momentum: try a.float("momentum", 0),
                      nesterov: try a.bool("nesterov", false), decay: try a.float("decay", 0))
        case "rmsprop":
            known = ["decay", "rho", "momentum", "epsilon", "centered"]
            opt = RMSprop(learningRate: try lr(0.001), rho: try a.float("rho", 0.9), momentum: try a.float("momentum", 0),
                          epsilon: try a.float("epsilon", 1e-7), centered: try a.bool("centered", false),
                          decay: try a.float("decay", 0))
        case "adagrad":
            known = ["decay", "initial_accumulator_value", "epsilon"]
            opt = Adagrad(learningRate: try lr(0.001),
                          initialAccumulatorValue: try a.float("initial_accumulator_value", 0.1),
                          epsilon: try a.float("epsilon", 1e-7), decay: try a.float("decay", 0))
        case "adam":
            known = ["decay", "beta_1", "beta_2", "epsilon", "amsgrad"]
            opt = Adam(learningRate: try lr(0.001), beta1: try a.float("beta_1", 0.9), beta2: try a.float("beta_2", 0.999),
                       epsilon: try a.float("epsilon", 1e-7), amsgrad: try a.bool("amsgrad", false),
                       decay: try a.float("decay", 0))
        case "adamw":
            known = ["beta_1", "beta_2", "epsilon", "amsgrad"]
            opt = AdamW(learningRate: try lr(0.001), weightDecay: try a.float("weight_decay", 0.004),
                        beta1: try a.float("beta_1", 0.9), beta2: try a.float("beta_2", 0.999),
                        epsilon: try a.float("epsilon", 1e-7), amsgrad: try a.bool("amsgrad", false))
        case "adadelta":
            known = ["decay", "rho", "epsilon"]
            opt = Adadelta(learningRate: try lr(0.001), rho: try a.float("rho", 0.95),
                           epsilon: try a.float("epsilon", 1e-7), decay: try a.float("decay", 0))
        case "adamax":
            known = ["decay", "beta_1", "beta_2", "epsilon"]
            opt = Adamax(learningRate: try lr(0.001), beta1: try a.float("beta_1", 0.9),
                         beta2: try a.float("beta_2", 0.999), epsilon: try a.float("epsilon", 1e-7),
                         decay: try a.float("decay", 0))
        case "nadam":
            known = ["decay", "beta_1", "beta_2", "epsilon"]
            opt = Nadam(learningRate: try lr(0.001), beta1: try a.float("beta_1", 0.9),
                        beta2: try a.float("beta_2", 0.999), epsilon: try a.float("epsilon", 1e-7),
                        decay: try a.float("decay", 0))
        case "lion":
            known = ["beta_1", "beta_2"]
            opt = Lion(learningRate: try lr(0.001), beta1: try a.float("beta_1", 0.9), beta2: try a.float("beta_2", 0.99))
        case "ftrl":
            known = ["learning_rate_power", "initial_accumulator_value", "l1_regularization_strength",
                     "l2_regularization_strength", "l2_shrinkage_regularization_strength", "beta"]
            opt = Ftrl(learningRate: try lr(0.001), learningRatePower: try a.float("learning_rate_power", -0.5),
                       initialAccumulatorValue: try a.float("initial_accumulator_value", 0.1),
                       l1RegularizationStrength: try a.float("l1_regularization_strength", 0),
                       l2RegularizationStrength: try a.float("l2_regularization_strength", 0),
                       l2ShrinkageRegularizationStrength: try a.float("l2_shrinkage_regularization_strength", 0),
                       beta: try a.float("beta", 0))
        case "adafactor":
            known = ["beta_2_decay", "epsilon_1", "epsilon_2", "clip_threshold", "relative_step"]
            opt = Adafactor(learningRate: try lr(0.001), beta2Decay: try a.float("beta_2_decay", -0.8),
                            epsilon1: try a.float("epsilon_1", 1e-30), epsilon2: try a.float("epsilon_2", 1e-3),
                            clipThreshold: try a.float("clip_threshold", 1), relativeStep: try a.bool("relative_step", true))
        default:
            throw StrataError.invalidArgument("unknown optimizer '\(id)'",
                                              hint: "use sgd, rmsprop, adagrad, adam, adamw, adadelta, adamax, nadam, lion, ftrl or adafactor")
        }
        try opt.options.read(&a)
        // Keras 3 ignores Keras 2's `decay`; Strata applies it where the optimizer existed in Keras 2, and takes
        // a 0 (as checkpoints record it) everywhere.
        if let d = try a.float("decay"), d != 0 {
            throw StrataError.invalidArgument("optimizer \(id): Keras 2's 'decay' does not apply to \(opt.name)",
                                              hint: "use learning_rate: {InverseTimeDecay: {initial_learning_rate: <lr>, decay_steps: 1, decay_rate: \(d)}}")
        }
        a.ignore("name")
        try a.finish(valid: ["learning_rate", "name"] + known + OptimizerOptions.keys)
        try opt.validate()
        return opt
    }
}
