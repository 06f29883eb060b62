/// Keras `LogCosh` (`log_cosh`): `mean(log(cosh(e)))` over the last axis, `e = yPred - yTrue`, computed as
/// `e + softplus(-2e) - log 2`; gradient `tanh(e)` (keras/src/losses/losses.py `log_cosh`).
public final class LogCosh: Loss, ConfigurableLoss {
    public let name = "log_cosh"
    public let sparseTargets = false
    public init() {}

    public var kerasClassName: String { "LogCosh" }
    public var kerasName: String { "log_cosh" }
    public var arguments: [String: JSONValue] { [:] }

    public func compute(yTrue: Tensor, yPred: Tensor, scale: Float, values: Tensor, gradient: Tensor) {
        let log2: Float = 0.6931472
        LossKernels.elementwise(yTrue: yTrue, yPred: yPred, scale: scale, values: values, gradient: gradient) { y, p in
            let e = p - y
            return (e + Kernels.softplus(-2 * e) - log2, Kernels.tanh(e))
        }
    }
}
