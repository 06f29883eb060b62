/// Keras `KLDivergence` (`kl_divergence`, `kld`): `sum(y log(y / p))` over the last axis with `y` and `p` clipped
/// to `[eps, 1]`; gradient `-y / p` where `p` was not clipped (keras/src/losses/losses.py `kl_divergence`).
public final class KLDivergence: Loss, ConfigurableLoss {
    public let name = "kl_divergence"
    public let sparseTargets = false
    public init() {}

    public var kerasClassName: String { "KLDivergence" }
    public var kerasName: String { "kl_divergence" }
    public var arguments: [String: JSONValue] { [:] }

    public func compute(yTrue: Tensor, yPred: Tensor, scale: Float, values: Tensor, gradient: Tensor) {
        let eps = Losses.epsilon
        LossKernels.elementwise(
            yTrue: yTrue, yPred: yPred, scale: scale, values: values, gradient: gradient,
            mean: false
        ) { y, p in
            let yc = min(max(y, eps), 1), pc = min(max(p, eps), 1)
            return (yc * Kernels.log(yc / pc), p >= eps && p <= 1 ? -yc / pc : 0)
        }
    }
}
