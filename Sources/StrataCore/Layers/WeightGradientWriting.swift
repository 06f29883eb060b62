/// A layer whose backward can store some of its weight gradients instead of adding them into the gradient buffer.
/// When the trainer skips clearing those ranges for the step (`LayerContext.overwritesWeightGradients`), backward
/// writes them with `beta` 0: a large gradient (Dense 30976 -> 256 on vgg_like, 32 MB) is then written once a step
/// instead of cleared, read and written again. The trainer asks this only of layers listed once at the model's top
/// level, whose backward runs once per step; inside a wrapper (TimeDistributed, Bidirectional) or anywhere else the
/// context leaves it off and backward adds, as every layer does. Written once, the stored gradient equals the
/// cleared-then-added one bit for bit (`x + 0 = x`).
public protocol WeightGradientWriting: Layer {
    /// The weights whose whole gradient backward writes when `LayerContext.overwritesWeightGradients` is set.
    var overwrittenGradients: [ParameterHandle] { get }
}
