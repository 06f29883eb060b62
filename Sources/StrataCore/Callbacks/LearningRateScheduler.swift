/// Keras `LearningRateScheduler(schedule)`: at the start of each epoch sets the learning rate to
/// `schedule(epoch, currentLearningRate)`.
public final class LearningRateScheduler: Callback {
    /// Its batch hooks read logs only (ZeRO-1's weight gather stays in flight through them).
    public var readsWeightsEachBatch: Bool { false }
    public let schedule: (Int, Float) -> Float
    public let verbose: Int

    public init(_ schedule: @escaping (_ epoch: Int, _ lr: Float) -> Float, verbose: Int = 0) {
        self.schedule = schedule
        self.verbose = verbose
    }

    public func onEpochBegin(_ epoch: Int, context: TrainingContext) throws {
        guard let opt = context.model.optimizer else { return }
        let lr = schedule(epoch, opt.learningRate)
        guard lr.isFinite else {
            throw StrataError.invalidArgument(
                "LearningRateScheduler returned \(lr) for epoch \(epoch)",
                hint: "the schedule must return a finite learning rate")
        }
        try opt.setLearningRate(lr, by: "LearningRateScheduler")
        if verbose > 0 && context.isPrintingRank {
            print("\nEpoch \(epoch + 1): LearningRateScheduler setting learning rate to \(lr).")
        }
    }
}
