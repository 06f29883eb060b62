/// One optimizer step as Keras 3's `BaseOptimizer.apply` takes it (keras/src/optimizers/base_optimizer.py,
/// `_backend_apply_gradients`): clip the gradients (`_clip_gradients`), decay the weights
/// (`_apply_weight_decay`: `w -= w * weight_decay * lr`), the optimizer's update at the learning rate of
/// `iterations` (a schedule's value there), the EMA of the weights (`_update_model_variables_moving_average`,
/// momentum 0 at the first step) and its periodic overwrite, then `iterations += 1`. Only trainable weights are
/// clipped, decayed and averaged, each as one Keras variable. The trainer calls it after the gradient
/// all-reduce, so every rank clips the same global gradient and takes the same step. With the run's `pool` an
/// `ElementwiseUpdating` optimizer's update runs over its threads.
/// Under ZeRO-1 (`OptimizerShard`, `state.shard` set) the same step runs on this rank's part of the buffer only,
/// with the slots of that part; each weight's gradient norm sums every rank's part (`sumOverRanks`), and the
/// trainer all-gathers the weights afterwards.
extension Optimizer {
    /// - Parameters:
    ///   - pieces: under ZeRO-1 with the overlapped weight gather (`WeightGather`), the gather's pieces of the
    ///     parameter buffer in order: everything after clipping (weight decay, the update, the EMA, putting back the
    ///     non-trainable weights) runs piece by piece on this rank's part of each, and `pieceUpdated(i)` follows
    ///     piece `i`, so its all-gather starts while the later pieces update. Every scalar sees the same operations
    ///     in the same order as in one piece (all of them are elementwise). Empty: the whole part at once.
    func apply(
        _ p: Parameters, _ state: OptimizerState, rowSparse: RowSparseStep?, pool: ThreadPool? = nil,
        sumOverRanks: ((inout [Double]) -> Void)? = nil, pieces: [Range<Int>] = [], pieceUpdated: (Int) throws -> Void = { _ in }
    ) rethrows {
        state.ensureSlots(for: self)
        let t = state.iterations
        let lr = effectiveLearningRate(iteration: t)
        let part = state.shard ?? 0..<p.count
        let mine = p.handles.filter(\.trainable).map { state.local($0).values }
        clipGradients(mine.map { p.gradients.rows($0) }, sumOverRanks: state.shard == nil ? nil : sumOverRanks)
        // Non-trainable weights (BatchNormalization's moving statistics) are the layers' to set: an update of their
        // zero gradient is not a no-op for every optimizer (Ftrl), so they are put back as they were.
        let frozen = p.handles.filter { !$0.trainable }.map { state.local($0).values }
        precondition(
            pieces.isEmpty || (rowSparse == nil && self is ElementwiseUpdating && !(self is WeightwiseOptimizer)),
            "an update in pieces needs an elementwise optimizer")
        /// Scalars `r` of the buffer as scalars of this rank's slots.
        func local(_ r: Range<Int>) -> Range<Int> { (r.lowerBound - part.lowerBound)..<(r.upperBound - part.lowerBound) }
        let scalars = state.scalars
        for (i, span) in (pieces.isEmpty ? [part] : pieces.map { $0.clamped(to: part) }).enumerated() {
            let trained = mine.map { $0.clamped(to: span) }.filter { !$0.isEmpty }
            if !span.isEmpty || pieces.isEmpty {
                if let wd = options.weightDecay, wd != 0 {
                    for r in trained { UpdateKernels.weightDecay(p.values.rows(r), decay: wd, lr: lr) }
                }
                let kept = frozen.map { $0.clamped(to: span) }.filter { !$0.isEmpty }.map { ($0, p.values.rows($0).copy()) }
                let (values, gradients) = (p.values.rows(span), p.gradients.rows(span))
                // The current slots (a deferred row-sparse update is done first); the row-sparse step reads them as stored.
                var slots: [Tensor] { state.slots.prefix(slotNames.count).map { $0.rows(local(span)) } }
                var s = scalars
                if let rowSparse {
                    rowSparse.update(self, p, state, lr: lr)
                    // A non-finite norm makes a whole weight's gradient NaN, untouched rows included: zero them all next step.
                    if options.globalClipnorm != nil || options.clipnorm != nil { rowSparse.invalidate() }
                    s = state.scalars
                } else if let weightwise = self as? WeightwiseOptimizer {
                    weightwise.update(
                        weights: p.handles.filter(\.trainable), values: p.values, gradients: p.gradients,
                        slots: Array(state.slots.prefix(slotNames.count)), scalars: &s,
                        iteration: t, lr: lr)
                } else if let pool, let elementwise = self as? ElementwiseUpdating {
                    elementwise.update(values: values, gradients: gradients, slots: slots, scalars: &s, iteration: t, lr: lr, pool: pool)
                } else {
                    update(values: values, gradients: gradients, slots: slots, scalars: &s, iteration: t, lr: lr)
                }
                state.scalars = s
                if options.useEma {
                    let average = state.slots[slotNames.count], m = t == 0 ? 0 : options.emaMomentum
                    for r in trained { UpdateKernels.movingAverage(average.rows(local(r)), of: p.values.rows(r), momentum: m) }
                    if let f = options.emaOverwriteFrequency, (t + 1) % f == 0 { overwriteWithAverage(p, state, within: span) }
                }
                for (r, v) in kept { p.values.rows(r).assign(v) }
            }
            if !pieces.isEmpty { try pieceUpdated(i) }
        }
        state.iterations += 1
    }

    /// Keras's `finalize_variable_values`, run at the end of `fit`: with `use_ema` the weights become their
    /// moving average.
    func finalizeVariableValues(_ p: Parameters, _ state: OptimizerState) {
        if options.useEma && state.slots.count > slotNames.count { overwriteWithAverage(p, state) }
    }

    /// The weights become their moving average (this rank's part of them under ZeRO-1; of those, the scalars
    /// `within`).
    private func overwriteWithAverage(_ p: Parameters, _ state: OptimizerState, within: Range<Int>? = nil) {
        let average = state.slots[slotNames.count]
        for h in p.handles where h.trainable {
            let r = state.local(h)
            let values = within.map { r.values.clamped(to: $0) } ?? r.values
            guard !values.isEmpty else { continue }
            let at = r.slots.lowerBound + values.lowerBound - r.values.lowerBound
            Kernels.copy(average.rows(at..<(at + values.count)), into: p.values.rows(values))
        }
    }

    /// Keras's `_clip_gradients`: `clipnorm` per weight, else `global_clipnorm` over all of them
    /// (`scale = clipnorm * min(1 / norm, 1 / clipnorm)`, NaN when the norm is not finite), else `clipvalue`.
    /// `sumOverRanks`: under ZeRO-1 `grads` are this rank's parts of the weights, and each weight's sum of squares
    /// is summed over the ranks first.
    func clipGradients(_ grads: [Tensor], sumOverRanks: ((inout [Double]) -> Void)? = nil) {
        func squares() -> [Double] {
            var s = grads.map(UpdateKernels.sumOfSquares)
            sumOverRanks?(&s)
            return s
        }
        if let c = options.clipnorm, c > 0 {
            for (g, s) in zip(grads, squares()) { UpdateKernels.clipByNorm(g, clipnorm: c, norm: Float(s).squareRoot()) }
        } else if let c = options.globalClipnorm, c > 0 {
            let norm = Float(squares().reduce(0.0, +)).squareRoot()
            let scale = c * min(1 / norm, 1 / c) + (norm - norm)
            for g in grads { UpdateKernels.scale(g, by: scale) }
        } else if let v = options.clipvalue, v > 0 {
            for g in grads { UpdateKernels.clipByValue(g, v) }
        }
    }
}
