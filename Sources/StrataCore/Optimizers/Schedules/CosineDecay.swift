import Foundation

/// Keras 3 `CosineDecay(initial_learning_rate, decay_steps, alpha=0.0, warmup_target=None, warmup_steps=0)`
/// (keras/src/optimizers/schedules/learning_rate_schedule.py), in Float32. Without a warmup target:
/// `s = min(step, decay_steps)`, `lr = initial * ((1 - alpha) * 0.5 (1 + cos(pi s / decay_steps)) + alpha)`.
/// With one: `s = min(step, decay_steps + warmup_steps)`; while `s < warmup_steps` the rate rises linearly,
/// `(warmup_target - initial) * s / warmup_steps + initial`, then decays as above from `warmup_target` over
/// `s - warmup_steps`.
public struct CosineDecay: LearningRateSchedule {
    public let initialLearningRate: Float
    public let decaySteps: Int
    public let alpha: Float
    public let warmupTarget: Float?
    public let warmupSteps: Int

    public init(
        initialLearningRate: Float, decaySteps: Int, alpha: Float = 0, warmupTarget: Float? = nil,
        warmupSteps: Int = 0
    ) {
        self.initialLearningRate = initialLearningRate
        self.decaySteps = decaySteps
        self.alpha = alpha
        self.warmupTarget = warmupTarget
        self.warmupSteps = warmupSteps
    }

    init(arguments a: inout OptimizerArguments) throws {
        self.init(
            initialLearningRate: try a.requiredFloat("initial_learning_rate"), decaySteps: try a.requiredInt("decay_steps"),
            alpha: try a.float("alpha", 0), warmupTarget: try a.optionalFloat("warmup_target"),
            warmupSteps: try a.int("warmup_steps") ?? 0)
        try a.finish(valid: ["initial_learning_rate", "decay_steps", "alpha", "warmup_target", "warmup_steps", "name"])
        try validate()
    }

    public var className: String { "CosineDecay" }

    public func validate() throws {
        _ = try LearningRateSchedules.positive(decaySteps, "decay_steps", "schedule CosineDecay")
    }

    /// `from * ((1 - alpha) * 0.5 * (1 + cos(pi * s / decay_steps)) + alpha)`.
    static func decayed(_ s: Float, _ steps: Float, from: Float, alpha: Float) -> Float {
        let cosine = 0.5 * (1 + cosf(Float.pi * (s / steps)))
        return from * ((1 - alpha) * cosine + alpha)
    }

    public func callAsFunction(_ step: Int) -> Float {
        let steps = Float(decaySteps)
        guard let target = warmupTarget else {
            return Self.decayed(min(Float(step), steps), steps, from: initialLearningRate, alpha: alpha)
        }
        let warm = Float(warmupSteps)
        let s = min(Float(step), steps + warm)
        if s < warm { return (target - initialLearningRate) * (s / warm) + initialLearningRate }
        return Self.decayed(s - warm, steps, from: target, alpha: alpha)
    }

    public var config: [String: JSONValue] {
        [
            "initial_learning_rate": JSONValue(initialLearningRate), "decay_steps": JSONValue(decaySteps),
            "alpha": JSONValue(alpha), "warmup_target": warmupTarget.map { JSONValue($0) } ?? .null,
            "warmup_steps": JSONValue(warmupSteps), "name": "CosineDecay",
        ]
    }
}
