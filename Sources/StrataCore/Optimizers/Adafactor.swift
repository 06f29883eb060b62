import Foundation

/// Keras 3 `Adafactor` (keras/src/optimizers/adafactor.py), per weight, with `t = iterations + 1`:
/// a constant rate with `relative_step` becomes `lr = min(lr, 1 / sqrt(t))` (a schedule's is used as it is);
/// `rho = min(lr, 1 / sqrt(t))`, `alpha = max(epsilon_2, rms(w)) * rho`, `g2 = g^2 + epsilon_1`,
/// `beta_2_t = 1 - t^beta_2_decay`. A weight of rank >= 2 keeps factored second moments over its last two axes:
/// `r = beta_2_t r + (1 - beta_2_t) mean(g2, -1)`, `c = beta_2_t c + (1 - beta_2_t) mean(g2, -2)`,
/// `v = (r / mean(r, -1))[..., None] * c[..., None, :]`; a smaller one `v = beta_2_t v + (1 - beta_2_t) g2`.
/// `u = g / sqrt(v)`, `w -= alpha * u / max(1, rms(u) / clip_threshold)`. Defaults: lr 0.001, beta_2_decay -0.8,
/// epsilon_1 1e-30, epsilon_2 1e-3, clip_threshold 1.0, relative_step true. Slot `velocity`; `r` and `c` (small:
/// rows + columns of each matrix) live in the scalar state, made at the first step.
public final class Adafactor: Optimizer, WeightwiseOptimizer {
    public let name = "Adafactor"
    public var learningRate: Float
    public var options = OptimizerOptions()
    public let beta2Decay: Float
    public let epsilon1: Float
    public let epsilon2: Float
    public let clipThreshold: Float
    public let relativeStep: Bool
    public var decay: Float { 0 }

    public init(
        learningRate: any LearningRateConvertible = Float(0.001), beta2Decay: Float = -0.8, epsilon1: Float = 1e-30,
        epsilon2: Float = 1e-3, clipThreshold: Float = 1, relativeStep: Bool = true
    ) {
        (self.learningRate, options.schedule) = learningRate.learningRateValue
        self.beta2Decay = beta2Decay
        self.epsilon1 = epsilon1
        self.epsilon2 = epsilon2
        self.clipThreshold = clipThreshold
        self.relativeStep = relativeStep
    }

    public var slotNames: [String] { ["velocity"] }

    /// The whole buffer as one rank-1 weight (what a flat-buffer caller gets).
    public func update(values: Tensor, gradients: Tensor, slots: [Tensor], scalars: inout [Double], iteration: Int, lr: Float) {
        let flat = ParameterHandle(index: 0, offset: 0, shape: [values.count], name: "values", initializer: .zeros, trainable: true)
        update(weights: [flat], values: values, gradients: gradients, slots: slots, scalars: &scalars, iteration: iteration, lr: lr)
    }

    /// The sizes of `r` and `c` of a weight (0 for rank < 2): `prod(shape[:-1])` and `prod(shape[:-2]) * shape[-1]`.
    static func factors(_ shape: [Int]) -> (r: Int, c: Int) {
        guard shape.count >= 2 else { return (0, 0) }
        let cols = shape[shape.count - 1], rows = shape[shape.count - 2], batch = shape.dropLast(2).reduce(1, *)
        return (batch * rows, batch * cols)
    }

    public func update(
        weights: [ParameterHandle], values: Tensor, gradients: Tensor, slots: [Tensor],
        scalars: inout [Double], iteration: Int, lr: Float
    ) {
        let total = weights.reduce(0) {
            let f = Self.factors($1.shape); return $0 + f.r + f.c
        }
        if scalars.count != total { scalars = [Double](repeating: 0, count: total) }
        let t = Float(iteration + 1)
        var rate = lr
        if options.schedule == nil && relativeStep { rate = min(rate, 1 / t.squareRoot()) }
        let rho = min(rate, 1 / t.squareRoot())
        let beta2t = 1 - powf(t, beta2Decay)
        var at = 0
        for h in weights {
            let range = h.offset..<(h.offset + h.count)
            let (nr, nc) = Self.factors(h.shape)
            var r = scalars[at..<(at + nr)].map { Float($0) }, c = scalars[(at + nr)..<(at + nr + nc)].map { Float($0) }
            UpdateKernels.adafactor(
                value: values.rows(range), gradient: gradients.rows(range), velocity: slots[0].rows(range),
                r: &r, c: &c, columns: h.shape.count >= 2 ? h.shape[h.shape.count - 1] : 0,
                rho: rho, beta2t: beta2t, epsilon1: epsilon1, epsilon2: epsilon2, clipThreshold: clipThreshold)
            for (i, v) in (r + c).enumerated() { scalars[at + i] = Double(v) }
            at += nr + nc
        }
    }

    public var config: [String: JSONValue] {
        [
            "name": "Adafactor", "learning_rate": JSONValue(learningRate), "beta_2_decay": JSONValue(beta2Decay),
            "epsilon_1": JSONValue(epsilon1), "epsilon_2": JSONValue(epsilon2), "clip_threshold": JSONValue(clipThreshold),
            "relative_step": .bool(relativeStep),
        ]
    }
}

/// An optimizer whose update needs each weight's shape (Adafactor factors a matrix's second moments); `apply`
/// gives it the trainable weights of the buffer.
public protocol WeightwiseOptimizer: Optimizer {
    func update(
        weights: [ParameterHandle], values: Tensor, gradients: Tensor, slots: [Tensor], scalars: inout [Double],
        iteration: Int, lr: Float)
}
