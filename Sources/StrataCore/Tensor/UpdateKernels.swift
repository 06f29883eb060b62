import CStrataKernels
import Foundation

/// The per-parameter loops of the optimizers, over the flat buffers (`values`, `gradients`, slots of the same
/// layout): each optimizer file keeps its formula and scalar bookkeeping, and calls one function here. RMSprop's and
/// Adam's common cases run the C loops of Sources/CStrataKernels/include/update_kernels.h, bit-identical to the
/// Swift forms: Swift's `squareRoot()` keeps a loop scalar (a `sqrtf` call with an errno fallback), and the update
/// over every parameter is a large share of a step for big models (lstm_seq's 5.2M-parameter Embedding).
enum UpdateKernels {
    /// SGD without momentum: `p -= lr g`.
    static func sgd(values: Tensor, gradients: Tensor, lr: Float) {
        let n = values.count, p = values.pointer, g = gradients.pointer
        for i in 0..<n { p[i] -= lr * g[i] }
    }

    /// SGD with momentum: `m = mu m - lr g`, then `p += m`, or with Nesterov `p += mu m - lr g`.
    static func sgd(
        values: Tensor, gradients: Tensor, momentum slot: Tensor, lr: Float, momentum mu: Float,
        nesterov: Bool
    ) {
        let n = values.count, p = values.pointer, g = gradients.pointer, m = slot.pointer
        if nesterov {
            for i in 0..<n { let mi = mu * m[i] - lr * g[i]; m[i] = mi; p[i] += mu * mi - lr * g[i] }
        } else {
            for i in 0..<n { let mi = mu * m[i] - lr * g[i]; m[i] = mi; p[i] += mi }
        }
    }

    /// RMSprop without momentum, not centered: `a = rho a + (1 - rho) g^2; p -= lr g / sqrt(a + eps)` (C, vectorised).
    static func rmsprop(values: Tensor, gradients: Tensor, accumulator: Tensor, rho: Float, lr: Float, epsilon: Float) {
        strata_rmsprop_update(values.pointer, gradients.pointer, accumulator.pointer, values.count, rho, 1 - rho, lr, epsilon)
    }

    /// Plain RMSprop on the rows of a row-sparse step (`SparseRows`): each row catches up with its missed
    /// zero-gradient steps (`a = rho a`, each product rounded), then takes `rmsprop`'s step, bit for bit (C, one pass
    /// per row, the next row prefetched; AVX2 where the CPU has it).
    static func rmspropRows(
        values: Tensor, gradients: Tensor, accumulator: Tensor, rows: SparseRows, rho: Float, lr: Float, epsilon: Float
    ) {
        precondition(values.count == gradients.count && values.count == accumulator.count, "rmspropRows sizes")
        precondition(rows.starts.allSatisfy { $0 >= 0 && $0 + rows.width <= values.count }, "rmspropRows: a row outside the buffer")
        let kernel = ConvKernels.cpuLanes >= 8 ? strata_rmsprop_rows_avx2 : strata_rmsprop_rows
        rows.starts.withUnsafeBufferPointer { starts in
            rows.missed.withUnsafeBufferPointer { missed in
                kernel(
                    values.pointer, gradients.pointer, accumulator.pointer, starts.baseAddress, missed.baseAddress, starts.count,
                    rows.width, rho, 1 - rho, lr, epsilon)
            }
        }
    }

    /// RMSprop with momentum and/or centered (each slot nil when off): `a = rho a + (1 - rho) g^2`; centered
    /// `mg = rho mg + (1 - rho) g` and denominator `a - mg^2 + eps`, else `a + eps`; `inc = lr g / sqrt(denominator)`;
    /// with momentum `v = momentum v + inc; p -= v`, else `p -= inc`.
    static func rmsprop(
        values: Tensor, gradients: Tensor, accumulator: Tensor, momentum momentumSlot: Tensor?,
        averageGradient: Tensor?, rho r: Float, momentum: Float, lr: Float, epsilon eps: Float
    ) {
        let n = values.count, p = values.pointer, g = gradients.pointer, a = accumulator.pointer
        let mom = momentumSlot?.pointer, mg = averageGradient?.pointer
        for i in 0..<n {
            let gi = g[i]
            let ai = r * a[i] + (1 - r) * gi * gi
            a[i] = ai
            var denom = ai + eps
            if let mg {
                let m = r * mg[i] + (1 - r) * gi
                mg[i] = m
                denom = ai - m * m + eps
            }
            let inc = lr * gi / denom.squareRoot()
            if let mom {
                let v = momentum * mom[i] + inc
                mom[i] = v
                p[i] -= v
            } else {
                p[i] -= inc
            }
        }
    }

    /// `a *= r`: plain RMSprop's accumulator after a zero gradient (the values do not move), and the global-norm
    /// clipping factor on each gradient.
    static func scale(_ a: Tensor, by r: Float) {
        let pa = a.pointer
        for i in 0..<a.count { pa[i] = r * pa[i] }
    }

    /// `a = r a`, `times` times over, each product rounded as `scale` rounds it (C: the scalars stay in registers
    /// for all the passes).
    static func scale(_ a: Tensor, by r: Float, times: Int) {
        if ConvKernels.cpuLanes >= 8 {
            strata_scale_repeatedly_avx2(a.pointer, a.count, r, times)
        } else {
            strata_scale_repeatedly(a.pointer, a.count, r, times)
        }
    }

    /// Adagrad: `a += g^2; p -= lr g / sqrt(a + eps)`.
    static func adagrad(values: Tensor, gradients: Tensor, accumulator: Tensor, lr: Float, epsilon eps: Float) {
        let n = values.count, p = values.pointer, g = gradients.pointer, a = accumulator.pointer
        for i in 0..<n {
            let gi = g[i]
            a[i] += gi * gi
            p[i] -= lr * gi / (a[i] + eps).squareRoot()
        }
    }

    /// Adadelta: `a = rho a + (1 - rho) g^2`, `delta = -sqrt(d + eps) / sqrt(a + eps) g`,
    /// `d = rho d + (1 - rho) delta^2`, `p += lr delta`.
    static func adadelta(
        values: Tensor, gradients: Tensor, accumulatedGrad: Tensor, accumulatedDelta: Tensor, rho r: Float,
        lr: Float, epsilon eps: Float
    ) {
        let n = values.count, p = values.pointer, g = gradients.pointer
        let a = accumulatedGrad.pointer, d = accumulatedDelta.pointer
        for i in 0..<n {
            let gi = g[i]
            a[i] = r * a[i] + (1 - r) * gi * gi
            let delta = -(d[i] + eps).squareRoot() / (a[i] + eps).squareRoot() * gi
            d[i] = r * d[i] + (1 - r) * delta * delta
            p[i] += lr * delta
        }
    }

    /// Adam without amsgrad: `m += (g - m)(1 - beta1); v += (g^2 - v)(1 - beta2); p -= alpha m / (sqrt(v) + eps)` (C,
    /// vectorised).
    static func adam(
        values: Tensor, gradients: Tensor, m: Tensor, v: Tensor, beta1: Float, beta2: Float,
        alpha: Float, epsilon: Float
    ) {
        strata_adam_update(
            values.pointer, gradients.pointer, m.pointer, v.pointer, values.count, 1 - beta1, 1 - beta2,
            alpha, epsilon)
    }

    /// Adam with amsgrad: as `adam`, with `vhat = max(vhat, v)` used in place of `v`.
    static func amsgrad(
        values: Tensor, gradients: Tensor, m: Tensor, v: Tensor, vHat: Tensor, beta1 b1: Float,
        beta2 b2: Float, alpha: Float, epsilon eps: Float
    ) {
        let n = values.count, p = values.pointer, g = gradients.pointer
        let pm = m.pointer, pv = v.pointer, vh = vHat.pointer
        for i in 0..<n {
            let gi = g[i]
            pm[i] += (gi - pm[i]) * (1 - b1)
            pv[i] += (gi * gi - pv[i]) * (1 - b2)
            let vi = max(vh[i], pv[i])
            vh[i] = vi
            p[i] -= alpha * pm[i] / (vi.squareRoot() + eps)
        }
    }

    /// Adamax: `m += (g - m)(1 - b1)`, `u = max(b2 u, |g|)`, `p -= lr m / (correction (u + eps))`.
    static func adamax(
        values: Tensor, gradients: Tensor, m: Tensor, u: Tensor, beta1 b1: Float, beta2 b2: Float,
        lr: Float, correction: Float, epsilon eps: Float
    ) {
        let n = values.count, p = values.pointer, g = gradients.pointer, pm = m.pointer, pu = u.pointer
        for i in 0..<n {
            let gi = g[i]
            pm[i] += (gi - pm[i]) * (1 - b1)
            pu[i] = max(b2 * pu[i], abs(gi))
            p[i] -= lr * pm[i] / (correction * (pu[i] + eps))
        }
    }

    /// Nadam's per-parameter step, its scalars computed by `Nadam.update`: `m += (g - m)(1 - b1)`,
    /// `v += (g^2 - v)(1 - b2)`, `mhat = ut1 m / (1 - productNext) + (1 - ut) g / (1 - product)`,
    /// `vhat = v / (1 - b2Power)`, `p -= lr mhat / (sqrt(vhat) + eps)`.
    static func nadam(
        values: Tensor, gradients: Tensor, m: Tensor, v: Tensor, beta1 b1: Float, beta2 b2: Float, lr: Float,
        ut: Float, ut1: Float, product: Float, productNext: Float, b2Power: Float, epsilon eps: Float
    ) {
        let n = values.count, p = values.pointer, g = gradients.pointer, pm = m.pointer, pv = v.pointer
        for i in 0..<n {
            let gi = g[i]
            pm[i] += (gi - pm[i]) * (1 - b1)
            pv[i] += (gi * gi - pv[i]) * (1 - b2)
            let mHat = ut1 * pm[i] / (1 - productNext) + (1 - ut) * gi / (1 - product)
            let vHat = pv[i] / (1 - b2Power)
            p[i] -= lr * mHat / (vHat.squareRoot() + eps)
        }
    }
}

// Keras 3's base-optimizer steps (clipping, decoupled weight decay, EMA) and the Lion and Ftrl updates, in the
// operation order of keras/src/optimizers/*.py (float32, no fused multiply-add).
extension UpdateKernels {
    /// Lion: `p -= lr sign(b1 m + (1 - b1) g)`, then `m = b2 m + (1 - b2) g`.
    static func lion(values: Tensor, gradients: Tensor, m: Tensor, beta1 b1: Float, beta2 b2: Float, lr: Float) {
        let n = values.count, p = values.pointer, g = gradients.pointer, pm = m.pointer
        for i in 0..<n {
            let gi = g[i]
            let c = pm[i] * b1 + gi * (1 - b1)
            p[i] -= lr * (c > 0 ? 1 : c < 0 ? -1 : 0)
            pm[i] = pm[i] * b2 + gi * (1 - b2)
        }
    }

    /// Ftrl (`power = -learning_rate_power`, `shrinkage = 2 l2_shrinkage`, `l2` already `l2 + beta / (2 lr)`):
    /// `n' = n + g^2; linear += g + shrinkage p - (n'^power - n^power) / lr p;
    /// p = (clip(linear, -l1, l1) - linear) / (n'^power / lr + 2 l2); n = n'`.
    static func ftrl(
        values: Tensor, gradients: Tensor, accumulator: Tensor, linear: Tensor, lr: Float, power: Float,
        l1: Float, l2: Float, shrinkage: Float
    ) {
        let n = values.count, p = values.pointer, g = gradients.pointer, acc = accumulator.pointer, lin = linear.pointer
        for i in 0..<n {
            let gi = g[i], pi = p[i]
            let gradToUse = gi + shrinkage * pi
            let newAcc = acc[i] + gi * gi
            let newPow = powf(newAcc, power)
            let l = lin[i] + (gradToUse - (newPow - powf(acc[i], power)) / lr * pi)
            lin[i] = l
            let quadratic = newPow / lr + 2 * l2
            p[i] = (min(max(l, -l1), l1) - l) / quadratic
            acc[i] = newAcc
        }
    }

    /// Decoupled weight decay as Keras's `_apply_weight_decay`: `p = p - p * wd * lr`.
    static func weightDecay(_ values: Tensor, decay wd: Float, lr: Float) {
        let p = values.pointer
        for i in 0..<values.count { p[i] -= p[i] * wd * lr }
    }

    /// `sum(x^2)` accumulated in Double (a gradient's squared L2 norm).
    static func sumOfSquares(_ x: Tensor) -> Double {
        let p = x.pointer
        var s = 0.0
        for i in 0..<x.count { s += Double(p[i]) * Double(p[i]) }
        return s
    }

    /// `sum(|x|)` in Double (the L1 penalty).
    static func sumOfAbsolutes(_ x: Tensor) -> Double {
        let p = x.pointer
        var s = 0.0
        for i in 0..<x.count { s += Double(abs(p[i])) }
        return s
    }

    /// `g += l1 * sign(w) + 2 * l2 * w` (the L1/L2 penalty's gradient; `sign(0) = 0`, as TensorFlow's `abs`).
    static func addRegularizerGradient(_ w: Tensor, l1: Float, l2: Float, into g: Tensor) {
        let pw = w.pointer, pg = g.pointer, twoL2 = 2 * l2
        for i in 0..<w.count {
            let v = pw[i]
            pg[i] += (v > 0 ? l1 : v < 0 ? -l1 : 0) + twoL2 * v
        }
    }

    /// `w = max(w, floor)` (Keras's `NonNeg` with floor 0).
    static func clampBelow(_ w: Tensor, _ floor: Float) {
        let p = w.pointer
        for i in 0..<w.count { p[i] = max(p[i], floor) }
    }

    /// Multiplies each slice of `w` (its elements sharing the coordinates outside `normAxes`) by
    /// `factor(norm)`, `norm` the slice's Euclidean norm: Keras's norm constraints.
    static func rescaleSlices(_ w: Tensor, shape: [Int], normAxes: Set<Int>, factor: (Float) -> Float) {
        let p = w.pointer, n = w.count
        // The slice of each flat index: its coordinates on the kept axes, as a row-major number.
        var slice = [Int](repeating: 0, count: n)
        var slices = 1
        for (a, d) in shape.enumerated() where !normAxes.contains(a) { slices *= d }
        for i in 0..<n {
            var rest = i, id = 0, place = 1
            for a in stride(from: shape.count - 1, through: 0, by: -1) {
                let c = rest % shape[a]
                rest /= shape[a]
                if !normAxes.contains(a) { id += c * place; place *= shape[a] }
            }
            slice[i] = id
        }
        var sums = [Double](repeating: 0, count: slices)
        for i in 0..<n { sums[slice[i]] += Double(p[i]) * Double(p[i]) }
        let scale = sums.map { factor(Float($0.squareRoot())) }
        for i in 0..<n { p[i] *= scale[slice[i]] }
    }

    /// Keras's `_clip_by_norm` (`tf.clip_by_norm`): `g = g * clipnorm / max(norm, clipnorm)`, norm 0 for a zero
    /// gradient.
    static func clipByNorm(_ gradient: Tensor, clipnorm c: Float) {
        clipByNorm(gradient, clipnorm: c, norm: Float(sumOfSquares(gradient)).squareRoot())
    }

    /// `clipByNorm` with the norm given (a sharded weight's norm sums every rank's part).
    static func clipByNorm(_ gradient: Tensor, clipnorm c: Float, norm: Float) {
        let d = max(norm, c), g = gradient.pointer
        for i in 0..<gradient.count { g[i] = g[i] * c / d }
    }

    /// `g = clip(g, -v, v)`.
    static func clipByValue(_ gradient: Tensor, _ v: Float) {
        let g = gradient.pointer
        for i in 0..<gradient.count { g[i] = min(max(g[i], -v), v) }
    }

    /// Keras's EMA of the weights: `average = momentum * average + (1 - momentum) * value`.
    static func movingAverage(_ average: Tensor, of values: Tensor, momentum m: Float) {
        let a = average.pointer, p = values.pointer
        for i in 0..<values.count { a[i] = m * a[i] + (1 - m) * p[i] }
    }
}

extension UpdateKernels {
    /// Adafactor's step on one weight (`columns` 0: not factored; else rows of `columns` scalars with `r` one entry
    /// per row and `c` one per column of each trailing matrix), as `Adafactor` documents; means in Double.
    static func adafactor(
        value: Tensor, gradient: Tensor, velocity: Tensor, r: inout [Float], c: inout [Float], columns: Int,
        rho: Float, beta2t: Float, epsilon1 e1: Float, epsilon2 e2: Float, clipThreshold: Float
    ) {
        let n = value.count, p = value.pointer, g = gradient.pointer, v = velocity.pointer
        let alpha = max(e2, Float(sumOfSquares(value) / Double(n)).squareRoot()) * rho
        if columns > 0 {
            let rowsPerMatrix = r.count / (c.count / columns)
            var rowMean = [Double](repeating: 0, count: r.count), colMean = [Double](repeating: 0, count: c.count)
            for row in 0..<r.count {
                let matrix = row / rowsPerMatrix
                for j in 0..<columns {
                    let g2 = Double(g[row * columns + j] * g[row * columns + j] + e1)
                    rowMean[row] += g2
                    colMean[matrix * columns + j] += g2
                }
            }
            for i in 0..<r.count { r[i] = beta2t * r[i] + (1 - beta2t) * Float(rowMean[i] / Double(columns)) }
            for i in 0..<c.count { c[i] = beta2t * c[i] + (1 - beta2t) * Float(colMean[i] / Double(rowsPerMatrix)) }
            for m in 0..<(c.count / columns) {
                let rows = (m * rowsPerMatrix)..<((m + 1) * rowsPerMatrix)
                let meanR = Float(rows.reduce(0.0) { $0 + Double(r[$1]) } / Double(rowsPerMatrix))
                for row in rows {
                    let rn = r[row] / meanR
                    for j in 0..<columns { v[row * columns + j] = rn * c[m * columns + j] }
                }
            }
        } else {
            for i in 0..<n { v[i] = beta2t * v[i] + (1 - beta2t) * (g[i] * g[i] + e1) }
        }
        var u2 = 0.0
        for i in 0..<n { let u = g[i] / v[i].squareRoot(); u2 += Double(u) * Double(u) }
        let denominator = max(1, Float(u2 / Double(n)).squareRoot() / clipThreshold)
        for i in 0..<n { p[i] -= alpha * (g[i] / v[i].squareRoot() / denominator) }
    }
}
