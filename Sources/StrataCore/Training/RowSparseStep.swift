/// The row-sparse training step for models with an `Embedding` (a `RowSparseGradient` layer): between steps only
/// the rows the last step wrote are zeroed, and after backward the optimizer runs on the dense weights and on the
/// touched rows, while the other rows' zero-gradient update (RMSprop: `a = rho a`) is deferred: a row catches up
/// with the steps it missed, one `rho` product per step as the dense step rounds it, when a step next touches it,
/// and every row does before anyone reads the slots (`DeferredSlotUpdates`: checkpoints, the end of `fit`). Every
/// scalar ends exactly as the dense step leaves it: the dense update of a zero gradient is that rule, bit for bit
/// (see `ZeroGradientUpdating`); the work per step follows the rows touched, not the table's size, on every rank.
/// With several ranks the touched rows are every rank's (`SparseRowExchange` gathers them and sets `stepRows`);
/// without that exchange the step stays dense there.
final class RowSparseStep {
    struct Region { let layer: RowSparseGradient; let offset: Int; let rows: Int; let width: Int }
    let regions: [Region]
    /// The run's optimizer, whose zero-gradient rule the untouched rows follow.
    let optimizer: ZeroGradientUpdating
    /// Rows of each region that may hold gradient now (nil: unknown, zero everything).
    private var dirty: [[Int]]?
    /// This step's rows of each region over all ranks (nil on one process: the layers' own `touchedRows`).
    var stepRows: [[Int]]?
    /// Per region and row: the value of `updates` when the row's slots were last current (nil: every row is).
    private var current: [[Int32]]?
    /// Updates since every row was last current.
    private var updates: Int32 = 0
    /// The rows one step updates, reused from step to step.
    private var batch: [SparseRows]

    init?(layers: [Layer], optimizer: Optimizer?) {
        // Weight decay and the EMA change every row whatever its gradient; clipping only scales the (exact) gradient.
        guard let opt = optimizer as? ZeroGradientUpdating, opt.skipsZeroGradientRows,
            !opt.options.touchesAllWeights
        else { return nil }
        let found = RowSparseStep.regions(of: layers)
        guard !found.isEmpty else { return nil }
        regions = found
        self.optimizer = opt
        batch = found.map { SparseRows(width: $0.width) }
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
            Kernels.zeroRows(buffer, rows: dirty[k], offset: r.offset, width: r.width)
            start = r.offset + r.rows * r.width
        }
        buffer.rows(start..<buffer.count).fill(0)
    }

    /// The optimizer step: dense ranges and touched rows get the full update (a touched row first catches up with
    /// the zero-gradient updates it missed); the untouched rows' zero-gradient updates wait (`settle`).
    func update(_ opt: Optimizer, _ p: Parameters, _ state: OptimizerState, lr: Float) {
        if state.deferred !== self {  // another step's deferred work, or slots replaced since: every row is current
            state.settle()
            current = nil
        }
        let slots = Array(state.storedSlots.prefix(opt.slotNames.count))
        if current == nil {
            current = regions.map { [Int32](repeating: 0, count: $0.rows) }
            updates = 0
        }
        func full(_ range: Range<Int>) {
            guard !range.isEmpty else { return }
            opt.update(
                values: p.values.rows(range), gradients: p.gradients.rows(range),
                slots: slots.map { $0.rows(range) }, scalars: &state.scalars,
                iteration: state.iterations, lr: lr)
        }
        var start = 0
        var touched: [[Int]] = []
        for (k, r) in regions.enumerated() {
            full(start..<r.offset)
            let rows = stepRows?[k] ?? r.layer.touchedRows
            touched.append(rows)
            batch[k].starts.removeAll(keepingCapacity: true)
            batch[k].missed.removeAll(keepingCapacity: true)
            let now = updates
            current![k].withUnsafeMutableBufferPointer { last in
                for row in rows {
                    batch[k].starts.append(r.offset + row * r.width)
                    batch[k].missed.append(now - last[row])
                    last[row] = now + 1
                }
            }
            optimizer.updateRows(
                batch[k], values: p.values, gradients: p.gradients, slots: slots, scalars: &state.scalars,
                iteration: state.iterations, lr: lr)
            start = r.offset + r.rows * r.width
        }
        full(start..<p.count)
        dirty = touched
        updates += 1
        state.deferred = self
    }
}

extension RowSparseStep: DeferredSlotUpdates {
    /// Every row catches up with the zero-gradient updates it missed; then every row is current.
    func settle(_ state: OptimizerState) {
        guard let current else { return }
        let slots = state.storedSlots.prefix(optimizer.slotNames.count)
        for (k, r) in regions.enumerated() {
            var row = 0
            while row < r.rows {
                // A run of rows that missed the same number of updates (most of an untouched table) in one call.
                let missed = Int(updates - current[k][row])
                var end = row + 1
                while end < r.rows && Int(updates - current[k][end]) == missed { end += 1 }
                if missed > 0 {
                    let range = (r.offset + row * r.width)..<(r.offset + end * r.width)
                    optimizer.applyZeroGradient(slots: slots.map { $0.rows(range) }, times: missed)
                }
                row = end
            }
        }
        self.current = nil
    }

    func discard() { current = nil }
}
