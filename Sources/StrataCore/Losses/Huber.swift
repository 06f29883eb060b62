/// Keras `Huber` (`huber`): per element `e = yPred - yTrue`, `0.5 e^2` where `|e| <= delta`, else
/// `delta |e| - 0.5 delta^2`, averaged over the last axis; gradient `e` or `delta sign(e)`
/// (keras/src/losses/losses.py `huber`).
public final class Huber: Loss, ConfigurableLoss {
    public let name = "huber"
    public let sparseTargets = false
    public let delta: Float
    public init(delta: Float = 1.0) { self.delta = delta }

    public var kerasClassName: String { "Huber" }
    public var kerasName: String { "huber_loss" }
    public var arguments: [String: JSONValue] { delta == 1 ? [:] : ["delta": JSONValue(delta)] }

    public func compute(yTrue: Tensor, yPred: Tensor, scale: Float, values: Tensor, gradient: Tensor) {
        let delta = delta
        LossKernels.elementwise(yTrue: yTrue, yPred: yPred, scale: scale, values: values, gradient: gradient) { y, p in
            let e = p - y
            return abs(e) <= delta ? (0.5 * e * e, e) : (delta * abs(e) - 0.5 * delta * delta, e > 0 ? delta : -delta)
        }
    }
}
