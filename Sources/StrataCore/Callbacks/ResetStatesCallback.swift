/// Resets the carried states of every stateful layer at the start of each epoch (the usual Keras recipe
/// `on_epoch_begin: model.reset_states()`), so each epoch reads its sequences from the beginning. Keras itself
/// never resets automatically; without this callback states carry across epochs (and through validation).
public final class ResetStatesCallback: Callback {
    /// Its batch hooks read logs only (ZeRO-1's weight gather stays in flight through them).
    public var readsWeightsEachBatch: Bool { false }
    public init() {}
    public func onEpochBegin(_ epoch: Int, context: TrainingContext) throws { context.model.resetStates() }
}
