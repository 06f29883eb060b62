/// Keras `TerminateOnNaN`: stops training when a batch's loss is NaN or infinite. The loss is the global one,
/// so every rank stops at the same batch.
public final class TerminateOnNaN: Callback {
    /// Its batch hooks read logs only (ZeRO-1's weight gather stays in flight through them).
    public var readsWeightsEachBatch: Bool { false }
    public init() {}
    public func onBatchEnd(_ batch: Int, logs: [String: Double], context: TrainingContext) throws {
        if let loss = logs["loss"], !loss.isFinite {
            if context.isPrintingRank { print("Batch \(batch): Invalid loss, terminating training") }
            context.stopTraining = true
        }
    }
}
