/// The arguments `ExponentialDecay` and `InverseTimeDecay` share (`initial_learning_rate`, `decay_steps`,
/// `decay_rate`, `staircase`) and their decay progress `p = step / decay_steps`, floored when `staircase`.
public struct StepDecay: Sendable, Equatable {
    public let initialLearningRate: Float
    public let decaySteps: Int
    public let decayRate: Float
    public let staircase: Bool

    init(arguments a: inout OptimizerArguments) throws {
        initialLearningRate = try a.requiredFloat("initial_learning_rate")
        decaySteps = try a.requiredInt("decay_steps")
        decayRate = try a.requiredFloat("decay_rate")
        staircase = try a.bool("staircase", false)
        try a.finish(valid: ["initial_learning_rate", "decay_steps", "decay_rate", "staircase", "name"])
        try validate(a.owner)
    }

    init(_ initialLearningRate: Float, _ decaySteps: Int, _ decayRate: Float, _ staircase: Bool) {
        self.initialLearningRate = initialLearningRate
        self.decaySteps = decaySteps
        self.decayRate = decayRate
        self.staircase = staircase
    }

    /// Keras does not check it; a zero `decay_steps` would make every rate NaN or infinite.
    func validate(_ owner: String) throws {
        _ = try LearningRateSchedules.positive(decaySteps, "decay_steps", owner)
    }

    /// `step / decay_steps` in Float32, floored when `staircase`.
    func progress(_ step: Int) -> Float {
        let p = Float(step) / Float(decaySteps)
        return staircase ? p.rounded(.down) : p
    }

    func config(name: String) -> [String: JSONValue] {
        [
            "initial_learning_rate": JSONValue(initialLearningRate), "decay_steps": JSONValue(decaySteps),
            "decay_rate": JSONValue(decayRate), "staircase": .bool(staircase), "name": .string(name),
        ]
    }
}
