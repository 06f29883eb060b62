/// One optimizer step as Keras 3's `BaseOptimizer.apply` takes it (keras/src/optimizers/base_optimizer.py,
/// `_backend_apply_gradients`): clip the gradients (`_clip_gradients`), decay the weights
/// (`_apply_weight_decay`: `w -= w * weight_decay * lr`), the optimizer's update at the learning rate of
/// `iterations` (a schedule's value there), the EMA of the weights (`_update_model_variables_moving_average`,
/// momentum 0 at the first step) and its periodic overwrite, then `iterations += 1`. Only trainable weights are
/// clipped, decayed and averaged, each as one Keras variable. The trainer calls it after the gradient
/// all-reduce, so every rank clips the same global gradient and takes the same step.
extension Optimizer {
    func apply(_ p: Parameters, _ state: OptimizerState, rowSparse: RowSparseStep?) {
        state.ensureSlots(for: self)
        let t = state.iterations
        let lr = effectiveLearningRate(iteration: t)
        let trainable = p.handles.filter(\.trainable)
        clipGradients(trainable.map { p.gradients.rows($0.offset..<($0.offset + $0.count)) })
        if let wd = options.weightDecay, wd != 0 {
            for h in trainable { UpdateKernels.weightDecay(p.values.rows(h.offset..<(h.offset + h.count)), decay: wd, lr: lr) }
        }
        // Non-trainable weights (BatchNormalization's moving statistics) are the layers' to set: an update of their
        // zero gradient is not a no-op for every optimizer (Ftrl), so they are put back as they were.
        let frozen = p.handles.filter { !$0.trainable }.map { ($0, p.value($0).copy()) }
        defer { for (h, v) in frozen { p.value(h).assign(v) } }
        if let rowSparse {
            rowSparse.update(self, p, state, lr: lr)
            // A non-finite norm makes a whole weight's gradient NaN, untouched rows included: zero them all next step.
            if options.globalClipnorm != nil || options.clipnorm != nil { rowSparse.invalidate() }
        } else if let weightwise = self as? WeightwiseOptimizer {
            weightwise.update(
                weights: trainable, values: p.values, gradients: p.gradients,
                slots: Array(state.slots.prefix(slotNames.count)), scalars: &state.scalars, iteration: t, lr: lr)
        } else {
            update(
                values: p.values, gradients: p.gradients, slots: Array(state.slots.prefix(slotNames.count)),
                scalars: &state.scalars, iteration: t, lr: lr)
        }
        if options.useEma {
            let average = state.slots[slotNames.count], m = t == 0 ? 0 : options.emaMomentum
            for h in trainable {
                let r = h.offset..<(h.offset + h.count)
                UpdateKernels.movingAverage(average.rows(r), of: p.values.rows(r), momentum: m)
            }
            if let f = options.emaOverwriteFrequency, (t + 1) % f == 0 { overwriteWithAverage(p, state) }
        }
        state.iterations += 1
    }

    /// Keras's `finalize_variable_values`, run at the end of `fit`: with `use_ema` the weights become their
    /// moving average.
    func finalizeVariableValues(_ p: Parameters, _ state: OptimizerState) {
        if options.useEma && state.slots.count > slotNames.count { overwriteWithAverage(p, state) }
    }

    private func overwriteWithAverage(_ p: Parameters, _ state: OptimizerState) {
        let average = state.slots[slotNames.count]
        for h in p.handles where h.trainable {
            let r = h.offset..<(h.offset + h.count)
            Kernels.copy(average.rows(r), into: p.values.rows(r))
        }
    }

    /// Keras's `_clip_gradients`: `clipnorm` per weight, else `global_clipnorm` over all of them
    /// (`scale = clipnorm * min(1 / norm, 1 / clipnorm)`, NaN when the norm is not finite), else `clipvalue`.
    func clipGradients(_ grads: [Tensor]) {
        if let c = options.clipnorm, c > 0 {
            for g in grads { UpdateKernels.clipByNorm(g, clipnorm: c) }
        } else if let c = options.globalClipnorm, c > 0 {
            let norm = Float(grads.reduce(0.0) { $0 + UpdateKernels.sumOfSquares($1) }).squareRoot()
            let scale = c * min(1 / norm, 1 / c) + (norm - norm)
            for g in grads { UpdateKernels.scale(g, by: scale) }
        } else if let v = options.clipvalue, v > 0 {
            for g in grads { UpdateKernels.clipByValue(g, v) }
        }
    }
}
