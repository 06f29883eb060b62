/// Keras `Hinge` (`hinge`): `mean(max(1 - y p, 0))` over the last axis; labels that are all 0 or 1 are first
/// mapped to -1 and 1 (keras/src/losses/losses.py `hinge`, `convert_binary_labels_to_hinge`). Keras checks the
/// whole batch; Strata checks each rank's rows, which is the same for 0/1 or -1/1 labels.
public final class Hinge: Loss, ConfigurableLoss {
    public let name = "hinge"
    public let sparseTargets = false
    public init() {}

    public var kerasClassName: String { "Hinge" }
    public var kerasName: String { "hinge" }
    public var arguments: [String: JSONValue] { [:] }

    public func compute(yTrue: Tensor, yPred: Tensor, scale: Float, values: Tensor, gradient: Tensor) {
        Hinge.compute(yTrue: yTrue, yPred: yPred, scale: scale, values: values, gradient: gradient, squared: false)
    }

    /// `mean(max(1 - y p, 0))` or, `squared`, `mean(max(1 - y p, 0)^2)`, with 0/1 labels mapped to -1/1.
    static func compute(yTrue: Tensor, yPred: Tensor, scale: Float, values: Tensor, gradient: Tensor, squared: Bool) {
        let binary = LossKernels.isBinary(yTrue)
        LossKernels.elementwise(yTrue: yTrue, yPred: yPred, scale: scale, values: values, gradient: gradient) { y0, p in
            let y = binary ? 2 * y0 - 1 : y0
            let m = max(1 - y * p, 0)
            return squared ? (m * m, -2 * y * m) : (m, m > 0 ? -y : 0)
        }
    }
}
