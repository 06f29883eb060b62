/// Keras `Poisson` (`poisson`): `mean(p - y log(p + eps))` over the last axis; gradient `1 - y / (p + eps)`
/// (keras/src/losses/losses.py `poisson`).
public final class Poisson: Loss, ConfigurableLoss {
    public let name = "poisson"
    public let sparseTargets = false
    public init() {}

    public var kerasClassName: String { "Poisson" }
    public var kerasName: String { "poisson" }
    public var arguments: [String: JSONValue] { [:] }

    public func compute(yTrue: Tensor, yPred: Tensor, scale: Float, values: Tensor, gradient: Tensor) {
        let eps = Losses.epsilon
        LossKernels.elementwise(yTrue: yTrue, yPred: yPred, scale: scale, values: values, gradient: gradient) { y, p in
            (p - y * Kernels.log(p + eps), 1 - y / (p + eps))
        }
    }
}
