/// Keras `CosineSimilarity` (`cosine_similarity`): `-sum(l2_normalize(y) * l2_normalize(p))` over the last axis,
/// between -1 and 1 (0 when either vector is zero); `l2_normalize(x) = x * min(1 / ||x||, 1 / eps)`
/// (keras/src/losses/losses.py `cosine_similarity`, keras/src/ops/nn.py `_normalize`). Keras's `axis` other than
/// -1 is not supported.
public final class CosineSimilarity: Loss, ConfigurableLoss {
    public let name = "cosine_similarity"
    public let sparseTargets = false
    public init() {}

    public var kerasClassName: String { "CosineSimilarity" }
    public var kerasName: String { "cosine_similarity" }
    public var arguments: [String: JSONValue] { [:] }

    public func compute(yTrue: Tensor, yPred: Tensor, scale: Float, values: Tensor, gradient: Tensor) {
        LossKernels.cosineSimilarity(yTrue: yTrue, yPred: yPred, scale: scale, values: values, gradient: gradient)
    }
}
