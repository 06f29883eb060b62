/// Keras `SquaredHinge` (`squared_hinge`): `mean(max(1 - y p, 0)^2)` over the last axis, 0/1 labels mapped to -1/1
/// as `Hinge` does; gradient `-2 y max(1 - y p, 0)` (keras/src/losses/losses.py `squared_hinge`).
public final class SquaredHinge: Loss, ConfigurableLoss {
    public let name = "squared_hinge"
    public let sparseTargets = false
    public init() {}

    public var kerasClassName: String { "SquaredHinge" }
    public var kerasName: String { "squared_hinge" }
    public var arguments: [String: JSONValue] { [:] }

    public func compute(yTrue: Tensor, yPred: Tensor, scale: Float, values: Tensor, gradient: Tensor) {
        Hinge.compute(yTrue: yTrue, yPred: yPred, scale: scale, values: values, gradient: gradient, squared: true)
    }
}
