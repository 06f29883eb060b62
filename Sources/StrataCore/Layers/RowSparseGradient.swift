/// A layer whose weight gradient is non-zero only in a few rows per step: `Embedding`, whose gradient is a
/// scatter-add into the rows of the ids in the batch (lstm_seq: at most 16 x 80 of 20000 rows).
///
/// On one process the trainer uses it to zero only those rows of the gradient between steps and to give the
/// other rows the optimizer's zero-gradient update (`ZeroGradientUpdating`), which is what the dense update
/// computes for them, bit for bit.
public protocol RowSparseGradient: AnyObject {
    /// The weight whose gradient is row-sparse (rows of `shape[1...]` scalars).
    var rowSparseWeight: ParameterHandle? { get }
    /// The distinct rows, ascending, that the last backward pass added gradient to.
    var touchedRows: [Int] { get }
}

/// An optimizer whose update with a zero gradient leaves the values unchanged and changes the slots by a rule
/// that needs no gradient (RMSprop: `a = rho a`; SGD without momentum: nothing), so rows with no gradient can
/// skip the full update.
public protocol ZeroGradientUpdating: Optimizer {
    /// Whether this configuration qualifies (e.g. RMSprop only without momentum, not centered, epsilon > 0).
    var skipsZeroGradientRows: Bool { get }
    /// What the update with `g = 0` does to `slots` (views of the same range of each slot), bit-identically.
    func applyZeroGradient(slots: [Tensor])
    /// `applyZeroGradient` applied `times` times in a row, bit-identically (a row-sparse step catches a row up with
    /// the steps it was not touched in).
    func applyZeroGradient(slots: [Tensor], times: Int)
}

extension ZeroGradientUpdating {
    public func applyZeroGradient(slots: [Tensor], times: Int) {
        for _ in 0..<times { applyZeroGradient(slots: slots) }
    }
}
