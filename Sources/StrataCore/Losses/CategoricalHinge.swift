/// Keras `CategoricalHinge` (`categorical_hinge`): `max(neg - pos + 1, 0)` per sample, `pos = sum(y p)`,
/// `neg = max((1 - y) p)` over the last axis (keras/src/losses/losses.py `categorical_hinge`).
public final class CategoricalHinge: Loss, ConfigurableLoss {
    public let name = "categorical_hinge"
    public let sparseTargets = false
    public init() {}

    public var kerasClassName: String { "CategoricalHinge" }
    public var kerasName: String { "categorical_hinge" }
    public var arguments: [String: JSONValue] { [:] }

    public func compute(yTrue: Tensor, yPred: Tensor, scale: Float, values: Tensor, gradient: Tensor) {
        LossKernels.categoricalHinge(yTrue: yTrue, yPred: yPred, scale: scale, values: values, gradient: gradient)
    }
}
