import Foundation

/// Keras 3 `PolynomialDecay(initial_learning_rate, decay_steps, end_learning_rate=0.0001, power=1.0, cycle=False)`
/// (keras/src/optimizers/schedules/learning_rate_schedule.py), in Float32: without `cycle` `step = min(step,
/// decay_steps)`; with it `decay_steps *= ceil(step / decay_steps)` (1 at step 0); `p = step / decay_steps`,
/// `lr = (initial - end) * (1 - p)^power + end`.
public struct PolynomialDecay: LearningRateSchedule {
    public let initialLearningRate: Float
    public let decaySteps: Int
    public let endLearningRate: Float
    public let power: Float
    public let cycle: Bool

    public init(
        initialLearningRate: Float, decaySteps: Int, endLearningRate: Float = 0.0001, power: Float = 1,
        cycle: Bool = false
    ) {
        self.initialLearningRate = initialLearningRate
        self.decaySteps = decaySteps
        self.endLearningRate = endLearningRate
        self.power = power
        self.cycle = cycle
    }

    init(arguments a: inout OptimizerArguments) throws {
        self.init(
            initialLearningRate: try a.requiredFloat("initial_learning_rate"), decaySteps: try a.requiredInt("decay_steps"),
            endLearningRate: try a.float("end_learning_rate", 0.0001), power: try a.float("power", 1),
            cycle: try a.bool("cycle", false))
        try a.finish(valid: ["initial_learning_rate", "decay_steps", "end_learning_rate", "power", "cycle", "name"])
        try validate()
    }

    /// Keras does not check it; a zero `decay_steps` would make every rate NaN or infinite.
    public func validate() throws {
        _ = try LearningRateSchedules.positive(decaySteps, "decay_steps", "schedule PolynomialDecay")
    }

    public var className: String { "PolynomialDecay" }

    public func callAsFunction(_ step: Int) -> Float {
        var s = Float(step), steps = Float(decaySteps)
        if cycle {
            steps *= s == 0 ? 1 : (s / Float(decaySteps)).rounded(.up)
        } else {
            s = min(s, steps)
        }
        let p = s / steps
        return (initialLearningRate - endLearningRate) * powf(1 - p, power) + endLearningRate
    }

    public var config: [String: JSONValue] {
        [
            "initial_learning_rate": JSONValue(initialLearningRate), "decay_steps": JSONValue(decaySteps),
            "end_learning_rate": JSONValue(endLearningRate), "power": JSONValue(power), "cycle": .bool(cycle),
            "name": "PolynomialDecay",
        ]
    }
}
