/// The row-sparse training step for models with an `Embedding` (a `RowSparseGradient` layer): between steps only
/// the rows the last step wrote are zeroed, and after backward the optimizer runs on the dense weights and on the
/// touched rows, while the other rows get its zero-gradient update (RMSprop: `a = rho a`). Every scalar ends
/// exactly as the dense step leaves it: the dense update of a zero gradient is that rule, bit for bit (see
/// `ZeroGradientUpdating`). With several ranks the touched rows are every rank's (`SparseRowExchange` gathers them
/// and sets `stepRows`); without that exchange the step stays dense there.
final class RowSparseStep {
    struct Region { let layer: RowSparseGradient; let offset: Int; let rows: Int; let width: Int }
    let regions: [Region]
    /// Rows of each region that may hold gradient now (nil: unknown, zero everything).
    private var dirty: [[Int]]?
    /// This step's rows of each region over all ranks (nil on one process: the layers' own `touchedRows`).
    var stepRows: [[Int]]?

    init?(layers: [Layer], optimizer: Optimizer?) {
        // Weight decay and the EMA change every row whatever its gradient; clipping only scales the (exact) gradient.
        guard let opt = optimizer as? ZeroGradientUpdating, opt.skipsZeroGradientRows,
            !opt.options.touchesAllWeights
        else { return nil }
        let found = RowSparseStep.regions(of: layers)
        guard !found.isEmpty else { return nil }
        regions = found
    }

    /// The row-sparse weights of `layers` (rows of at least one scalar), in buffer order. A regularized weight's
    /// gradient is dense (the penalty's gradient touches every row), so it is not one of them.
    static func regions(of layers: [Layer]) -> [Region] {
        layers.compactMap { l -> Region? in
            guard let s = l as? RowSparseGradient, let h = s.rowSparseWeight, h.shape.count >= 2, h.regularizer == nil
            else { return nil }
            return Region(layer: s, offset: h.offset, rows: h.shape[0], width: h.count / h.shape[0])
        }.sorted { $0.offset < $1.offset }
    }

    /// Forget which rows hold gradient (another code path wrote the buffer).
    func invalidate() { dirty = nil }

    /// Zeroes the step buffer (gradients, then the step's sums) as `fill(0)` would leave it, touching only what may
    /// be non-zero.
    func zeroGradients(_ buffer: Tensor) {
        guard let dirty else { buffer.fill(0); return }
        var start = 0
        for (k, r) in regions.enumerated() {
            buffer.rows(start..<r.offset).fill(0)
            for row in dirty[k] { buffer.rows((r.offset + row * r.width)..<(r.offset + (row + 1) * r.width)).fill(0) }
            start = r.offset + r.rows * r.width
        }
        buffer.rows(start..<buffer.count).fill(0)
    }

    /// The optimizer step: dense ranges and touched rows get the full update, untouched rows the zero-gradient one.
    func update(_ opt: Optimizer, _ p: Parameters, _ state: OptimizerState, lr: Float) {
        let zero = opt as! ZeroGradientUpdating
        func full(_ range: Range<Int>) {
            guard !range.isEmpty else { return }
            opt.update(
                values: p.values.rows(range), gradients: p.gradients.rows(range),
                slots: state.slots.prefix(opt.slotNames.count).map { $0.rows(range) }, scalars: &state.scalars,
                iteration: state.iterations, lr: lr)
        }
        func untouched(_ range: Range<Int>) {
            guard !range.isEmpty else { return }
            zero.applyZeroGradient(slots: state.slots.prefix(opt.slotNames.count).map { $0.rows(range) })
        }
        var start = 0
        var touched: [[Int]] = []
        for (k, r) in regions.enumerated() {
            full(start..<r.offset)
            let rows = stepRows?[k] ?? r.layer.touchedRows
            touched.append(rows)
            var next = 0  // first row not yet updated
            var i = 0
            while i < rows.count {
                var j = i  // a run of consecutive touched rows
                while j + 1 < rows.count && rows[j + 1] == rows[j] + 1 { j += 1 }
                untouched((r.offset + next * r.width)..<(r.offset + rows[i] * r.width))
                full((r.offset + rows[i] * r.width)..<(r.offset + (rows[j] + 1) * r.width))
                next = rows[j] + 1
                i = j + 1
            }
            untouched((r.offset + next * r.width)..<(r.offset + r.rows * r.width))
            start = r.offset + r.rows * r.width
        }
        full(start..<p.count)
        dirty = touched
    }
}
