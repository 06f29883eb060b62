/// A Keras 3 learning-rate schedule (keras/src/optimizers/schedules/learning_rate_schedule.py): the learning rate
/// as a function of the optimizer's `iterations` (steps already applied), evaluated in Float32 as Keras's ops do.
/// Pass one as any optimizer's `learningRate:`; it is stateless, so a checkpoint resumed at iteration `t`
/// continues the schedule exactly.
public protocol LearningRateSchedule: LearningRateConvertible, Sendable {
    /// Keras's class name (`ExponentialDecay`...).
    var className: String { get }
    /// The learning rate for the update applied after `step` updates.
    func callAsFunction(_ step: Int) -> Float
    /// Keras's `get_config()`.
    var config: [String: JSONValue] { get }
    /// Throws for arguments the schedule cannot use (a non-positive `decay_steps`).
    func validate() throws
}

extension LearningRateSchedule {
    public func validate() throws {}

    public var learningRateValue: (rate: Float, schedule: LearningRateSchedule?) { (self(0), self) }

    /// As Keras serialises it in `training_config`: `{"module": "keras.optimizers.schedules", "class_name": ...,
    /// "config": {...}, "registered_name": null}`.
    public var kerasObject: JSONValue {
        [
            "module": "keras.optimizers.schedules", "class_name": .string(className), "config": .object(config),
            "registered_name": .null,
        ]
    }
}

/// What an optimizer's `learningRate:` takes: a number (`0.01`, a `Float`) or a `LearningRateSchedule`.
public protocol LearningRateConvertible {
    /// The starting rate, and the schedule if any.
    var learningRateValue: (rate: Float, schedule: LearningRateSchedule?) { get }
}

extension Float: LearningRateConvertible {
    public var learningRateValue: (rate: Float, schedule: LearningRateSchedule?) { (self, nil) }
}

extension Double: LearningRateConvertible {
    public var learningRateValue: (rate: Float, schedule: LearningRateSchedule?) { (Float(self), nil) }
}

/// The schedules by Keras class name.
public enum LearningRateSchedules {
    /// Keras's class names of the schedules Strata has.
    public static let names = [
        "ExponentialDecay", "PiecewiseConstantDecay", "PolynomialDecay", "InverseTimeDecay",
        "CosineDecay", "CosineDecayRestarts",
    ]

    static func make(_ name: String, _ a: inout OptimizerArguments) throws -> LearningRateSchedule? {
        switch name {
        case "ExponentialDecay": return try ExponentialDecay(arguments: &a)
        case "PiecewiseConstantDecay": return try PiecewiseConstantDecay(arguments: &a)
        case "PolynomialDecay": return try PolynomialDecay(arguments: &a)
        case "InverseTimeDecay": return try InverseTimeDecay(arguments: &a)
        case "CosineDecay": return try CosineDecay(arguments: &a)
        case "CosineDecayRestarts": return try CosineDecayRestarts(arguments: &a)
        default: return nil
        }
    }

    /// A schedule from Keras's serialised form (`{"class_name": ..., "config": {...}}`, with or without `module`)
    /// or the YAML form (`{ExponentialDecay: {initial_learning_rate: ...}}`).
    public static func make(_ value: JSONValue) throws -> LearningRateSchedule {
        guard let o = value.objectValue else {
            throw StrataError.invalidArgument(
                "a learning-rate schedule must be a mapping, got \(value.jsonText)",
                hint: "e.g. learning_rate: {ExponentialDecay: {initial_learning_rate: 0.1, decay_steps: 100, decay_rate: 0.9}}")
        }
        let name: String, config: [String: JSONValue]
        if let c = o["class_name"]?.stringValue {
            name = c
            config = o["config"]?.objectValue ?? [:]
        } else if o.count == 1, let (k, v) = o.first, let c = v.objectValue ?? (v == .null ? [:] : nil) {
            name = k
            config = c
        } else {
            throw StrataError.invalidArgument(
                "a learning-rate schedule is written {Name: {arguments}}, got \(value.jsonText)",
                hint: "e.g. {ExponentialDecay: {initial_learning_rate: 0.1, decay_steps: 100, decay_rate: 0.9}}")
        }
        var args = OptimizerArguments("schedule \(name)", config)
        args.ignore("name")
        guard let schedule = try make(name, &args) else {
            throw StrataError.invalidArgument(
                "unknown learning-rate schedule '\(name)'",
                hint: "use one of " + names.joined(separator: ", "))
        }
        return schedule
    }

    static func positive(_ value: Int, _ key: String, _ owner: String) throws -> Int {
        guard value > 0 else {
            throw StrataError.invalidArgument("\(owner): '\(key)' must be > 0, got \(value)", hint: "e.g. \(key): 1000")
        }
        return value
    }
}
