import Foundation

/// Keras 3 `CosineDecayRestarts(initial_learning_rate, first_decay_steps, t_mul=2.0, m_mul=1.0, alpha=0.0)` (SGDR;
/// keras/src/optimizers/schedules/learning_rate_schedule.py), in Float32: `f = step / first_decay_steps`; with
/// `t_mul == 1` `i = floor(f)`, `f -= i`; else `i = floor(log(1 - f (1 - t_mul)) / log(t_mul))`,
/// `f = (f - (1 - t_mul^i) / (1 - t_mul)) / t_mul^i`; `lr = initial * ((1 - alpha) * 0.5 m_mul^i (1 + cos(pi f))
/// + alpha)`.
public struct CosineDecayRestarts: LearningRateSchedule {
    public let initialLearningRate: Float
    public let firstDecaySteps: Int
    public let tMul: Float
    public let mMul: Float
    public let alpha: Float

    public init(initialLearningRate: Float, firstDecaySteps: Int, tMul: Float = 2, mMul: Float = 1, alpha: Float = 0) {
        self.initialLearningRate = initialLearningRate
        self.firstDecaySteps = firstDecaySteps
        self.tMul = tMul
        self.mMul = mMul
        self.alpha = alpha
    }

    init(arguments a: inout OptimizerArguments) throws {
        self.init(
            initialLearningRate: try a.requiredFloat("initial_learning_rate"),
            firstDecaySteps: try a.requiredInt("first_decay_steps"), tMul: try a.float("t_mul", 2),
            mMul: try a.float("m_mul", 1), alpha: try a.float("alpha", 0))
        try a.finish(valid: ["initial_learning_rate", "first_decay_steps", "t_mul", "m_mul", "alpha", "name"])
        try validate()
    }

    public var className: String { "CosineDecayRestarts" }

    public func validate() throws {
        _ = try LearningRateSchedules.positive(firstDecaySteps, "first_decay_steps", "schedule CosineDecayRestarts")
    }

    public func callAsFunction(_ step: Int) -> Float {
        var f = Float(step) / Float(firstDecaySteps)
        let i: Float
        if tMul == 1 {
            i = f.rounded(.down)
            f -= i
        } else {
            i = (logf(1 - f * (1 - tMul)) / logf(tMul)).rounded(.down)
            let sum = (1 - powf(tMul, i)) / (1 - tMul)
            f = (f - sum) / powf(tMul, i)
        }
        let cosine = 0.5 * powf(mMul, i) * (1 + cosf(Float.pi * f))
        return initialLearningRate * ((1 - alpha) * cosine + alpha)
    }

    public var config: [String: JSONValue] {
        [
            "initial_learning_rate": JSONValue(initialLearningRate), "first_decay_steps": JSONValue(firstDecaySteps),
            "t_mul": JSONValue(tMul), "m_mul": JSONValue(mMul), "alpha": JSONValue(alpha), "name": "SGDRDecay",
        ]
    }
}
