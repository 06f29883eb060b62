/// Keras `TerminateOnNaN`: stops training when a batch's loss is NaN or infinite. The loss is the global one,
/// so every rank stops at the same batch.
public final class TerminateOnNaN: Callback {
    public init() {}
    public func onBatchEnd(_ batch: Int, logs: [String: Double], model: Sequential) throws {
        if let loss = logs["loss"], !loss.isFinite {
            if model.isPrintingRank { print("Batch \(batch): Invalid loss, terminating training") }
            model.stopTraining = true
        }
    }
}
