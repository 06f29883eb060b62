/// Reusable buffers keyed by named slots: `buffer(slot, shape)` returns the same tensor while the requested shape is
/// unchanged, and reuses the storage when it is large enough, so the hot path allocates only when the batch shape
/// changes (e.g. the short last batch).
///
/// Each owner names its slots with its own enum (`Dense.Slot.preActivation`, `RecurrentSlot.gates`,
/// `BatchSlot.input`), so two uses can never share a slot by a typo'd integer. Buffers that ARE shared between layers
/// (input gradients, per-call scratch) are not here: they are lent by `SharedBuffers` (see its aliasing rules).
public struct Workspace<Slot: Hashable> {
    private var tensors: [Slot: Tensor] = [:]
    public init() {}
    public mutating func buffer(_ slot: Slot, _ shape: [Int]) -> Tensor {
        if let t = tensors[slot], t.shape == shape { return t }
        let needed = shape.reduce(1, *)
        if let t = tensors[slot], t.storage.capacity >= needed {
            let v = Tensor(shape: shape, storage: t.storage, offset: 0)
            tensors[slot] = v
            return v
        }
        let t = Tensor(zeros: shape)
        tensors[slot] = t
        return t
    }
}

/// The buffers of one batch in `fit` / `evaluate` / `predict` (and tools that read batches).
public enum BatchSlot: Hashable, Sendable {
    /// The batch's inputs and targets as read from the dataset.
    case input, target
    /// One loss value per sample, and the loss gradient with respect to the model output.
    case lossValues, outputGradient
    /// One metric value per sample, and one sample weight per row.
    case metricValues, sampleWeights
}
