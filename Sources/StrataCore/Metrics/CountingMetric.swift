/// A metric computed from counts over the whole epoch rather than a mean of per-sample values (Keras's Precision,
/// Recall, AUC, F1Score, MeanIoU): each batch adds its weighted counts into a state vector, the vectors are summed
/// over batches and over ranks (in the step's all-reduce), and `result` turns the epoch's totals into the figure. So
/// the figure is Keras's on one process over the same data, whatever the rank count.
public protocol CountingMetric: Metric {
    /// The length of the state vector, for outputs of shape `outputShape` (without the batch axis).
    func stateCount(outputShape: [Int]) -> Int
    /// Adds this batch's counts into `state` (`stateCount` scalars); `sampleWeight` holds one weight per sample
    /// (nil: every sample weighs 1).
    func accumulate(yTrue: Tensor, yPred: Tensor, sampleWeight: Tensor?, into state: Tensor)
    /// The figure from the summed state.
    func result(_ state: ArraySlice<Double>) -> Double
}

extension CountingMetric {
    /// A counting metric has no per-sample values; the trainer accumulates its counts instead.
    public func values(yTrue: Tensor, yPred: Tensor, into values: Tensor) throws {
        throw StrataError.usage(
            "\(name) is computed from counts over the epoch, not per sample",
            hint: "use accumulate(yTrue:yPred:sampleWeight:into:) and result(_:)")
    }
}

/// `a / b`, 0 when `b` is 0 (Keras's `divide_no_nan`).
@inline(__always)
func divideNoNaN(_ a: Double, _ b: Double) -> Double { b == 0 ? 0 : a / b }
