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
    /// The row-sparse step of `rows` of the flat buffers (whole `values`, `gradients` and slots): each row first
    /// catches up with the zero-gradient updates it missed, then takes the full update; every scalar ends as
    /// `applyZeroGradient(times:)` then `update` over that row leave it. The default does exactly that, a run of
    /// consecutive rows per `update` call; RMSprop does it in one C pass.
    func updateRows(
        _ rows: SparseRows, values: Tensor, gradients: Tensor, slots: [Tensor], scalars: inout [Double], iteration: Int,
        lr: Float)
}

/// Rows of the flat buffers that one row-sparse optimizer step updates: where each row starts, how many
/// zero-gradient updates it missed since it was last updated, and the row width (scalars).
public struct SparseRows {
    public var starts: [Int] = []
    public var missed: [Int32] = []
    public var width: Int

    public init(width: Int) { self.width = width }
}

extension ZeroGradientUpdating {
    public func applyZeroGradient(slots: [Tensor], times: Int) {
        for _ in 0..<times { applyZeroGradient(slots: slots) }
    }

    public func updateRows(
        _ rows: SparseRows, values: Tensor, gradients: Tensor, slots: [Tensor], scalars: inout [Double], iteration: Int,
        lr: Float
    ) {
        updateRowsInRuns(rows, values: values, gradients: gradients, slots: slots, scalars: &scalars, iteration: iteration, lr: lr)
    }

    /// `updateRows` from the optimizer's own two steps: each row's catch-up, then one `update` per run of consecutive
    /// rows.
    func updateRowsInRuns(
        _ rows: SparseRows, values: Tensor, gradients: Tensor, slots: [Tensor], scalars: inout [Double], iteration: Int,
        lr: Float
    ) {
        let w = rows.width
        var i = 0
        while i < rows.starts.count {
            var j = i  // a run of consecutive rows
            while j + 1 < rows.starts.count && rows.starts[j + 1] == rows.starts[j] + w { j += 1 }
            for k in i...j where rows.missed[k] > 0 {
                let range = rows.starts[k]..<(rows.starts[k] + w)
                applyZeroGradient(slots: slots.map { $0.rows(range) }, times: Int(rows.missed[k]))
            }
            let run = rows.starts[i]..<(rows.starts[j] + w)
            update(
                values: values.rows(run), gradients: gradients.rows(run), slots: slots.map { $0.rows(run) }, scalars: &scalars,
                iteration: iteration, lr: lr)
            i = j + 1
        }
    }
}
