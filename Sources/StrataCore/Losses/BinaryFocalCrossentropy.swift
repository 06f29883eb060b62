import Foundation

/// Keras `BinaryFocalCrossentropy` (`binary_focal_crossentropy`): per element, with `y` smoothed to
/// `y (1 - s) + s / 2`, `p_t = y p + (1 - y)(1 - p)`, `focal = (1 - p_t)^gamma * bce(y, p)`, times
/// `y alpha + (1 - y)(1 - alpha)` when `applyClassBalancing`, averaged over the last axis
/// (keras/src/losses/losses.py `binary_focal_crossentropy`). `bce` is clipped to `[eps, 1 - eps]` from
/// probabilities; with `fromLogits` the input is `z`, `p = sigmoid(z)` and `bce` is the unclipped logits form
/// `max(z, 0) - z y + log(1 + e^-|z|)`, as Keras's TensorFlow backend computes it.
public final class BinaryFocalCrossentropy: Loss, ConfigurableLoss {
    public let name = "binary_focal_crossentropy"
    public let sparseTargets = false
    public let applyClassBalancing: Bool
    public let alpha: Float
    public let gamma: Float
    public let fromLogits: Bool
    public let labelSmoothing: Float

    public init(
        applyClassBalancing: Bool = false, alpha: Float = 0.25, gamma: Float = 2.0, fromLogits: Bool = false,
        labelSmoothing: Float = 0.0
    ) {
        self.applyClassBalancing = applyClassBalancing
        self.alpha = alpha
        self.gamma = gamma
        self.fromLogits = fromLogits
        self.labelSmoothing = labelSmoothing
    }

    public var kerasClassName: String { "BinaryFocalCrossentropy" }
    public var kerasName: String { "binary_focal_crossentropy" }
    public var arguments: [String: JSONValue] {
        var a = crossentropyArguments(fromLogits: fromLogits, labelSmoothing: labelSmoothing, alpha: alpha, gamma: gamma)
        if applyClassBalancing { a["apply_class_balancing"] = .bool(true) }
        return a
    }

    public func compute(yTrue: Tensor, yPred: Tensor, scale: Float, values: Tensor, gradient: Tensor) {
        let (alpha, gamma, balance, logits) = (alpha, gamma, applyClassBalancing, fromLogits)
        let keep = 1 - labelSmoothing, half = 0.5 * labelSmoothing, eps = Losses.epsilon
        LossKernels.elementwise(yTrue: yTrue, yPred: yPred, scale: scale, values: values, gradient: gradient) { y0, x in
            let y = y0 * keep + half
            // p, the bce and their derivatives with respect to the input x (z with fromLogits, else p).
            let p: Float, bce: Float, dBce: Float, dP: Float
            if logits {
                p = Kernels.sigmoid(x)
                bce = max(x, 0) - x * y + Kernels.softplus(-abs(x))
                dBce = p - y
                dP = p * (1 - p)
            } else {
                p = x
                let pc = min(max(x, eps), 1 - eps)
                bce = -(y * Kernels.log(pc) + (1 - y) * Kernels.log(1 - pc))
                dBce = x >= eps && x <= 1 - eps ? -y / pc + (1 - y) / (1 - pc) : 0
                dP = 1
            }
            let pt = y * p + (1 - y) * (1 - p)
            let f = Float(pow(Double(1 - pt), Double(gamma)))
            let dF = gamma == 0 ? 0 : -gamma * Float(pow(Double(1 - pt), Double(gamma - 1))) * (2 * y - 1) * dP
            let w: Float = balance ? y * alpha + (1 - y) * (1 - alpha) : 1
            return (w * f * bce, w * (dF * bce + f * dBce))
        }
    }
}
