/// A layer that takes part in Keras's timestep masks (keras/src/layers/layer.py `compute_mask`,
/// `supports_masking`): `Masking` and `Embedding(maskZero: true)` make a mask, the recurrent layers use it, and
/// layers such as `Dense`, `Dropout` and `Activation` pass it on unchanged.
///
/// The model hands each layer its input's mask in `LayerContext.mask` and asks the layer for its output's. A
/// layer that does not conform drops the mask, as Keras drops it (with a warning) at a layer without
/// `supports_masking`: downstream layers then see none.
public protocol MaskPropagating: Layer {
    /// Keras's `compute_mask(inputs, previous_mask)` after the last `forward`: the output's mask given the
    /// input's (`inputMask`, nil without one); `(batch, timesteps)`, 1 for use, 0 for skip.
    func outputMask(inputMask: Tensor?) -> Tensor?
    /// The same decided from the architecture alone: whether the output carries a mask when the input does.
    func carriesMask(inputCarriesMask: Bool) -> Bool
}

/// Keras's default `compute_mask` for layers with `supports_masking = True`: the mask passes through.
public protocol MaskPassing: MaskPropagating {}

extension MaskPassing {
    public func outputMask(inputMask: Tensor?) -> Tensor? { inputMask }
    public func carriesMask(inputCarriesMask: Bool) -> Bool { inputCarriesMask }
}

extension Dense: MaskPassing {}
extension Dropout: MaskPassing {}
extension Activation: MaskPassing {}
// Keras's other `supports_masking` layers that act per step: the mask goes on to the recurrent layers after them.
extension ReLU: MaskPassing {}
extension LeakyReLU: MaskPassing {}
extension ELU: MaskPassing {}
extension PReLU: MaskPassing {}
extension Rescaling: MaskPassing {}
extension Normalization: MaskPassing {}
extension LayerNormalization: MaskPassing {}
extension GaussianNoise: MaskPassing {}
extension GaussianDropout: MaskPassing {}
extension AlphaDropout: MaskPassing {}
extension SpatialDropout1D: MaskPassing {}
extension SpatialDropout2D: MaskPassing {}
/// BatchNormalization passes the mask on and, in training, takes its moments over the kept steps.
extension BatchNormalization: MaskPassing {}

/// Recurrent layers: the mask continues with `return_sequences` and ends otherwise (keras/src/layers/rnn/rnn.py
/// `compute_mask`).
extension MaskPropagating where Self: RecurrentLayer {
    public func outputMask(inputMask: Tensor?) -> Tensor? { returnSequences ? inputMask : nil }
    public func carriesMask(inputCarriesMask: Bool) -> Bool { returnSequences && inputCarriesMask }
}

extension LSTM: MaskPropagating {}
extension GRU: MaskPropagating {}
extension SimpleRNN: MaskPropagating {}

extension Sequential {
    /// Whether the model's output carries a timestep mask (Keras then weights the loss by it).
    public var outputCarriesMask: Bool {
        var carried = false
        for l in layers { carried = (l as? MaskPropagating)?.carriesMask(inputCarriesMask: carried) ?? false }
        return carried
    }

    /// The first BatchNormalization that receives a timestep mask it cannot weigh its moments by (inputs other than
    /// `(timesteps, channels)` normalized over the last axis, where Keras's mask is one weight per row of channels):
    /// nil when there is none.
    var layerUsingMaskForStatistics: Layer? {
        var carried = false
        for l in layers {
            if carried, let bn = l as? BatchNormalization, !bn.weighsMomentsByMask { return l }
            carried = (l as? MaskPropagating)?.carriesMask(inputCarriesMask: carried) ?? false
        }
        return nil
    }
}
