/// Keras 3's base-optimizer arguments (keras/src/optimizers/base_optimizer.py), shared by every optimizer:
/// decoupled `weight_decay`, gradient clipping (`clipnorm` per weight, `global_clipnorm` over all weights,
/// `clipvalue` per element: at most one), the weights' exponential moving average (`use_ema`, `ema_momentum`,
/// `ema_overwrite_frequency`) and a `LearningRateSchedule` in place of a constant learning rate.
/// `Optimizer.apply` uses them in Keras's order; under MPI they act on the all-reduced gradient.
public struct OptimizerOptions: Sendable {
    public var weightDecay: Float?
    public var clipnorm: Float?
    public var clipvalue: Float?
    public var globalClipnorm: Float?
    public var useEma = false
    public var emaMomentum: Float = 0.99
    public var emaOverwriteFrequency: Int?
    /// The learning rate as a function of `iterations` (nil: the optimizer's constant `learningRate`).
    public var schedule: LearningRateSchedule?

    public init(
        weightDecay: Float? = nil, clipnorm: Float? = nil, clipvalue: Float? = nil, globalClipnorm: Float? = nil,
        useEma: Bool = false, emaMomentum: Float = 0.99, emaOverwriteFrequency: Int? = nil,
        schedule: LearningRateSchedule? = nil
    ) {
        self.weightDecay = weightDecay
        self.clipnorm = clipnorm
        self.clipvalue = clipvalue
        self.globalClipnorm = globalClipnorm
        self.useEma = useEma
        self.emaMomentum = emaMomentum
        self.emaOverwriteFrequency = emaOverwriteFrequency
        self.schedule = schedule
    }

    /// The argument names, as Keras writes them.
    static let keys = [
        "weight_decay", "clipnorm", "clipvalue", "global_clipnorm", "use_ema", "ema_momentum",
        "ema_overwrite_frequency", "loss_scale_factor", "gradient_accumulation_steps",
    ]

    /// Reads the base arguments (the learning rate is read by the optimizer's own entry); Keras's
    /// `loss_scale_factor` and `gradient_accumulation_steps` are refused unless null.
    mutating func read(_ a: inout OptimizerArguments) throws {
        if let wd = try a.optionalFloat("weight_decay") { weightDecay = wd }
        clipnorm = try a.optionalFloat("clipnorm")
        clipvalue = try a.optionalFloat("clipvalue")
        globalClipnorm = try a.optionalFloat("global_clipnorm")
        useEma = try a.bool("use_ema", false)
        emaMomentum = try a.float("ema_momentum", 0.99)
        emaOverwriteFrequency = try a.int("ema_overwrite_frequency")
        for key in ["loss_scale_factor", "gradient_accumulation_steps"] where a.take(key) != nil {
            throw StrataError.invalidArgument(
                "\(a.owner): '\(key)' is not supported by Strata",
                hint: "leave \(key) out (Strata trains in float32 and applies every step)")
        }
        a.ignore("is_legacy_optimizer", "jit_compile")
    }

    /// Keras's checks, plus what Strata cannot combine: a schedule with Keras 2's `decay`.
    public func validate(optimizer name: String, decay: Float) throws {
        let clips = [("clipnorm", clipnorm), ("clipvalue", clipvalue), ("global_clipnorm", globalClipnorm)]
        let set = clips.filter { $0.1 != nil }
        if set.count > 1 {
            throw StrataError.invalidArgument(
                "optimizer \(name): only one of clipnorm, clipvalue and global_clipnorm can be set, got "
                    + set.map { "\($0.0)=\($0.1!)" }.joined(separator: ", "),
                hint: "keep one clipping argument")
        }
        for (key, v) in clips + [("weight_decay", weightDecay)] {
            if let v, !(v >= 0) || !v.isFinite {
                throw StrataError.invalidArgument(
                    "optimizer \(name): '\(key)' must be a finite number >= 0, got \(v)", hint: "e.g. \(key): 1.0")
            }
        }
        if useEma && !(emaMomentum >= 0 && emaMomentum <= 1) {
            throw StrataError.invalidArgument(
                "optimizer \(name): 'ema_momentum' must be in the range [0, 1], got \(emaMomentum)", hint: "e.g. ema_momentum: 0.99")
        }
        if let f = emaOverwriteFrequency, f < 1 {
            throw StrataError.invalidArgument(
                "optimizer \(name): 'ema_overwrite_frequency' must be an integer >= 1 or null, got \(f)", hint: "")
        }
        if let schedule {
            try schedule.validate()
            if decay != 0 {
                throw StrataError.invalidArgument(
                    "optimizer \(name): Keras 2's 'decay' cannot be combined with a learning-rate schedule",
                    hint: "use InverseTimeDecay(initial_learning_rate, 1, decay) as the schedule, or drop decay")
            }
        }
    }

    /// The arguments that differ from Keras's defaults, as `get_config()` keys.
    var config: [String: JSONValue] {
        var c: [String: JSONValue] = [:]
        if let weightDecay { c["weight_decay"] = JSONValue(weightDecay) }
        if let clipnorm { c["clipnorm"] = JSONValue(clipnorm) }
        if let clipvalue { c["clipvalue"] = JSONValue(clipvalue) }
        if let globalClipnorm { c["global_clipnorm"] = JSONValue(globalClipnorm) }
        if useEma {
            c["use_ema"] = .bool(true)
            c["ema_momentum"] = JSONValue(emaMomentum)
            c["ema_overwrite_frequency"] = emaOverwriteFrequency.map { JSONValue($0) } ?? .null
        }
        if let schedule { c["learning_rate"] = schedule.kerasObject }
        return c
    }

    /// True when the step touches every weight whatever its gradient (the row-sparse step does not qualify).
    var touchesAllWeights: Bool { weightDecay.map { $0 != 0 } == true || useEma }
}
