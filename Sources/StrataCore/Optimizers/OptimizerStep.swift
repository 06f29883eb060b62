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
    func apply(
        _ p: Parameters, _ state: OptimizerState, rowSparse: RowSparseStep?, pool: ThreadPool? = nil,
        sumOverRanks: ((inout [Double]) -> Void)? = nil
    ) {
        state.ensureSlots(for: self)
        let t = state.iterations
        let lr = effectiveLearningRate(iteration: t)
        let part = state.shard ?? 0..<p.count
        let trainable = p.handles.filter(\.trainable)
        let mine = trainable.map(state.local)
        clipGradients(mine.map { p.gradients.rows($0.values) }, sumOverRanks: state.shard == nil ? nil : sumOverRanks)
        if let wd = options.weightDecay, wd != 0 {
            for r in mine { UpdateKernels.weightDecay(p.values.rows(r.values), decay: wd, lr: lr) }
        }
        // Non-trainable weights (BatchNormalization's moving statistics) are the layers' to set: an update of their
        // zero gradient is not a no-op for every optimizer (Ftrl), so they are put back as they were.
        let frozen = p.handles.filter { !$0.trainable }.map { h in
            let r = state.local(h).values
            return (r, p.values.rows(r).copy())
        }
        defer { for (r, v) in frozen { p.values.rows(r).assign(v) } }
        let (values, gradients) = (p.values.rows(part), p.gradients.rows(part))
        // The current slots (a deferred row-sparse update is done first); the row-sparse step reads them as stored.
        var slots: [Tensor] { Array(state.slots.prefix(slotNames.count)) }
        if let rowSparse {
            rowSparse.update(self, p, state, lr: lr)
            // A non-finite norm makes a whole weight's gradient NaN, untouched rows included: zero them all next step.
            if options.globalClipnorm != nil || options.clipnorm != nil { rowSparse.invalidate() }
        } else if let weightwise = self as? WeightwiseOptimizer {
            weightwise.update(
                weights: trainable, values: p.values, gradients: p.gradients, slots: slots, scalars: &state.scalars,
                iteration: t, lr: lr)
        } else if let pool, let elementwise = self as? ElementwiseUpdating {
            elementwise.update(
                values: values, gradients: gradients, slots: slots, scalars: &state.scalars, iteration: t, lr: lr, pool: pool)
        } else {
            update(values: values, gradients: gradients, slots: slots, scalars: &state.scalars, iteration: t, lr: lr)
        }
        if options.useEma {
            let average = state.slots[slotNames.count], m = t == 0 ? 0 : options.emaMomentum
            for r in mine { UpdateKernels.movingAverage(average.rows(r.slots), of: p.values.rows(r.values), momentum: m) }
            if let f = options.emaOverwriteFrequency, (t + 1) % f == 0 { overwriteWithAverage(p, state) }
        }
        state.iterations += 1
    }

    /// Keras's `finalize_variable_values`, run at the end of `fit`: with `use_ema` the weights become their
    /// moving average.
    func finalizeVariableValues(_ p: Parameters, _ state: OptimizerState) {
        if options.useEma && state.slots.count > slotNames.count { overwriteWithAverage(p, state) }
    }

    /// The weights become their moving average (this rank's part of them under ZeRO-1).
    private func overwriteWithAverage(_ p: Parameters, _ state: OptimizerState) {
        let average = state.slots[slotNames.count]
        for h in p.handles where h.trainable {
            let r = state.local(h)
            Kernels.copy(average.rows(r.slots), into: p.values.rows(r.values))
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
