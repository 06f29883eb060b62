/// Keras 3 `InverseTimeDecay(initial_learning_rate, decay_steps, decay_rate, staircase=False)`
/// (keras/src/optimizers/schedules/learning_rate_schedule.py): `p = step / decay_steps` (floored when
/// `staircase`), `lr = initial_learning_rate / (1 + decay_rate * p)`, in Float32. Keras 2's `decay` argument is
/// `InverseTimeDecay(lr, 1, decay)`.
public struct InverseTimeDecay: LearningRateSchedule {
    public let arguments: StepDecay

    public init(initialLearningRate: Float, decaySteps: Int, decayRate: Float, staircase: Bool = false) {
        arguments = StepDecay(initialLearningRate, decaySteps, decayRate, staircase)
    }

    init(arguments a: inout OptimizerArguments) throws { arguments = try StepDecay(arguments: &a) }

    public var className: String { "InverseTimeDecay" }
    public func validate() throws { try arguments.validate("schedule InverseTimeDecay") }

    public func callAsFunction(_ step: Int) -> Float {
        arguments.initialLearningRate / (1 + arguments.decayRate * arguments.progress(step))
    }

    public var config: [String: JSONValue] { arguments.config(name: "InverseTimeDecay") }
}
