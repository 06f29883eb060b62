import Foundation

/// Keras 3 `ExponentialDecay(initial_learning_rate, decay_steps, decay_rate, staircase=False)`
/// (keras/src/optimizers/schedules/learning_rate_schedule.py): `p = step / decay_steps` (floored when
/// `staircase`), `lr = initial_learning_rate * decay_rate^p`, in Float32.
public struct ExponentialDecay: LearningRateSchedule {
    public let arguments: StepDecay

    public init(initialLearningRate: Float, decaySteps: Int, decayRate: Float, staircase: Bool = false) {
        arguments = StepDecay(initialLearningRate, decaySteps, decayRate, staircase)
    }

    init(arguments a: inout OptimizerArguments) throws { arguments = try StepDecay(arguments: &a) }

    public var className: String { "ExponentialDecay" }
    public func validate() throws { try arguments.validate("schedule ExponentialDecay") }

    public func callAsFunction(_ step: Int) -> Float {
        arguments.initialLearningRate * powf(arguments.decayRate, arguments.progress(step))
    }

    public var config: [String: JSONValue] { arguments.config(name: "ExponentialDecay") }
}
