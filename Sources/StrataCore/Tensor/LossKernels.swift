import Foundation

/// The per-sample loops of the losses: each writes per-sample values (the last axis reduced) into `values` and the
/// gradient, times `scale`, into `gradient` (shaped like `yPred`), in one pass. The loss files keep the formulas
/// and choose between the probability form and the logits form (Keras's TensorFlow backend).
enum LossKernels {
    /// Rows and columns of `yPred` seen as `(rows, last axis)`.
    @inline(__always)
    private static func rowsAndColumns(_ yPred: Tensor) -> (rows: Int, cols: Int) {
        let cols = yPred.shape.last ?? 1
        return (cols == 0 ? 0 : yPred.count / cols, cols)
    }

    /// `values[r] = (1/D) sum_j f(d[r, j])`, `gradient[r, j] = scale f'(d[r, j]) / D` for `d = yPred - yTrue`, D the
    /// last axis's size. `term(d, step)` returns `f(d)` and `step f'(d)`, `step = scale / D`; inlined so each loss
    /// gets its own loop with the term in it (no call per element).
    @inline(__always)
    static func lastAxisMean(
        yTrue: Tensor, yPred: Tensor, scale: Float, values: Tensor, gradient: Tensor,
        term: (_ d: Float, _ step: Float) -> (value: Float, gradient: Float)
    ) {
        let (rows, cols) = rowsAndColumns(yPred)
        let py = yTrue.pointer, pv = values.pointer, pg = gradient.pointer, pp = yPred.pointer
        let inv = 1 / Float(cols)
        let step = scale * inv
        for r in 0..<rows {
            var s: Float = 0
            for j in 0..<cols {
                let i = r &* cols &+ j
                let (value, g) = term(pp[i] - py[i], step)
                s += value
                pg[i] = g
            }
            pv[r] = s * inv
        }
    }

    /// Binary crossentropy from the sigmoid's logits `z` (unclipped): `max(z, 0) - z y + log(1 + e^-|z|)` averaged
    /// over the last axis; gradient with respect to `z`: `scale (sigmoid(z) - y) / D`, `sigmoid(z)` being `yPred`.
    static func binaryCrossentropy(
        logits z: Tensor, yTrue: Tensor, yPred: Tensor, scale: Float, values: Tensor,
        gradient: Tensor
    ) {
        let (rows, cols) = rowsAndColumns(yPred)
        let py = yTrue.pointer, pv = values.pointer, pg = gradient.pointer, pp = yPred.pointer, pz = z.pointer
        let inv = 1 / Float(cols)
        for r in 0..<rows {
            var loss: Double = 0
            for j in 0..<cols {
                let i = r &* cols &+ j
                let zi = pz[i], yi = py[i]
                loss += Double(max(zi, 0) - zi * yi) + libmLog1p(Double(Kernels.exp(-abs(zi))))
                pg[i] = scale * inv * (pp[i] - yi)
            }
            pv[r] = Float(loss) * inv
        }
    }

    /// Binary crossentropy from probabilities clipped to `[eps, 1 - eps]`: `-[y log p + (1 - y) log(1 - p)]` averaged
    /// over the last axis; the gradient is 0 where `p` was clipped.
    static func binaryCrossentropy(yTrue: Tensor, yPred: Tensor, scale: Float, values: Tensor, gradient: Tensor) {
        let (rows, cols) = rowsAndColumns(yPred)
        let py = yTrue.pointer, pv = values.pointer, pg = gradient.pointer, pp = yPred.pointer
        let inv = 1 / Float(cols)
        let eps = Losses.epsilon
        for r in 0..<rows {
            var loss: Double = 0
            for j in 0..<cols {
                let i = r &* cols &+ j
                let p = pp[i], y = py[i]
                let pc = min(max(p, eps), 1 - eps)
                loss -= Double(y) * libmLog(Double(pc)) + Double(1 - y) * libmLog(Double(1 - pc))
                pg[i] = (p >= eps && p <= 1 - eps) ? scale * inv * (-y / pc + (1 - y) / (1 - pc)) : 0
            }
            pv[r] = Float(loss) * inv
        }
    }

    /// Categorical crossentropy from the softmax's logits `z`: `sum(y) logsumexp(z) - sum(y z)`; gradient with respect
    /// to `z`: `scale (softmax(z) sum(y) - y)`, `softmax(z)` being `yPred`.
    static func categoricalCrossentropy(
        logits z: Tensor, yTrue: Tensor, yPred: Tensor, scale: Float, values: Tensor,
        gradient: Tensor
    ) {
        let (rows, cols) = rowsAndColumns(yPred)
        let py = yTrue.pointer, pv = values.pointer, pg = gradient.pointer, pz = z.pointer, pp = yPred.pointer
        for r in 0..<rows {
            let zr = pz + r &* cols, yr = py + r &* cols, gr = pg + r &* cols, pr = pp + r &* cols
            var m = -Float.infinity
            for j in 0..<cols { m = max(m, zr[j]) }
            var s: Double = 0
            for j in 0..<cols { s += Double(Kernels.exp(zr[j] - m)) }
            let lse = Double(m) + libmLog(s)
            var ysum: Double = 0, yz: Double = 0
            for j in 0..<cols { ysum += Double(yr[j]); yz += Double(yr[j]) * Double(zr[j]) }
            pv[r] = Float(ysum * lse - yz)
            let ys = Float(ysum)
            for j in 0..<cols { gr[j] = scale * (pr[j] * ys - yr[j]) }
        }
    }

    /// Categorical crossentropy from probabilities: `q = clip(p / sum(p), eps, 1 - eps)`, `-sum(y log q)`; the
    /// gradient goes back through the normalisation (0 where `q` was clipped).
    static func categoricalCrossentropy(yTrue: Tensor, yPred: Tensor, scale: Float, values: Tensor, gradient: Tensor) {
        let (rows, cols) = rowsAndColumns(yPred)
        let py = yTrue.pointer, pv = values.pointer, pg = gradient.pointer, pp = yPred.pointer
        let eps = Losses.epsilon
        for r in 0..<rows {
            let pr = pp + r &* cols, yr = py + r &* cols, gr = pg + r &* cols
            var s: Float = 0
            for j in 0..<cols { s += pr[j] }
            var loss: Double = 0
            var dot: Float = 0  // sum_i g_i q_i
            for j in 0..<cols {
                let q = pr[j] / s
                let qc = min(max(q, eps), 1 - eps)
                loss -= Double(yr[j]) * libmLog(Double(qc))
                let g: Float = (q >= eps && q <= 1 - eps) ? -yr[j] / qc : 0
                gr[j] = g
                dot += g * q
            }
            pv[r] = Float(loss)
            for j in 0..<cols { gr[j] = scale * (gr[j] - dot) / s }
        }
    }

    /// Sparse categorical crossentropy from the softmax's logits `z`, `yTrue` holding one class id per row:
    /// `logsumexp(z) - z[label]`; gradient with respect to `z`: `scale (softmax(z) - onehot(label))`.
    static func sparseCategoricalCrossentropy(
        logits z: Tensor, yTrue: Tensor, yPred: Tensor, scale: Float,
        values: Tensor, gradient: Tensor
    ) {
        let (rows, cols) = rowsAndColumns(yPred)
        let py = yTrue.pointer, pv = values.pointer, pg = gradient.pointer, pp = yPred.pointer, pz = z.pointer
        for r in 0..<rows {
            let zr = pz + r &* cols, gr = pg + r &* cols, pr = pp + r &* cols
            let label = Int(py[r])
            var m = -Float.infinity
            for j in 0..<cols { m = max(m, zr[j]) }
            var s: Double = 0
            for j in 0..<cols { s += Double(Kernels.exp(zr[j] - m)) }
            pv[r] = Float(Double(m) + libmLog(s) - Double(zr[label]))
            for j in 0..<cols { gr[j] = scale * pr[j] }
            gr[label] -= scale
        }
    }

    /// Sparse categorical crossentropy from probabilities: `-log(clip(p[label] / sum(p), eps, 1 - eps))`.
    static func sparseCategoricalCrossentropy(
        yTrue: Tensor, yPred: Tensor, scale: Float, values: Tensor,
        gradient: Tensor
    ) {
        let (rows, cols) = rowsAndColumns(yPred)
        let py = yTrue.pointer, pv = values.pointer, pg = gradient.pointer, pp = yPred.pointer
        let eps = Losses.epsilon
        for r in 0..<rows {
            let pr = pp + r &* cols, gr = pg + r &* cols
            let label = Int(py[r])
            var s: Float = 0
            for j in 0..<cols { s += pr[j] }
            let q = pr[label] / s
            let qc = min(max(q, eps), 1 - eps)
            pv[r] = Float(-libmLog(Double(qc)))
            let g: Float = (q >= eps && q <= 1 - eps) ? -1 / qc : 0
            // d/dp_j of -log(p_label / s) through the normalisation: (g (delta_j,label - q)) / s
            for j in 0..<cols { gr[j] = scale * (-g * q) / s }
            gr[label] += scale * g / s
        }
    }

    /// `values[r] = reduce_j f(y[r, j], p[r, j])` (the mean over the last axis, or the sum when `mean` is false) and
    /// `gradient[r, j] = step f'(p)`, `step = scale / D` (or `scale`). `term(y, p)` returns `f` and `df/dp`;
    /// inlined so each loss gets its own loop with the term in it (no call per element).
    @inline(__always)
    static func elementwise(
        yTrue: Tensor, yPred: Tensor, scale: Float, values: Tensor, gradient: Tensor, mean: Bool = true,
        term: (_ y: Float, _ p: Float) -> (value: Float, derivative: Float)
    ) {
        let (rows, cols) = rowsAndColumns(yPred)
        let py = yTrue.pointer, pv = values.pointer, pg = gradient.pointer, pp = yPred.pointer
        let inv: Float = mean ? 1 / Float(cols) : 1
        let step = scale * inv
        for r in 0..<rows {
            var s: Float = 0
            for j in 0..<cols {
                let i = r &* cols &+ j
                let (value, d) = term(py[i], pp[i])
                s += value
                pg[i] = step * d
            }
            pv[r] = s * inv
        }
    }

    /// Whether every entry of `t` is 0 or 1 (Keras's hinge losses then map the labels to -1 and 1).
    static func isBinary(_ t: Tensor) -> Bool {
        let p = t.pointer
        for i in 0..<t.count where p[i] != 0 && p[i] != 1 { return false }
        return true
    }

    /// `y * a + b` into `out` (label smoothing: `a = 1 - s`, `b = s / K` or `s / 2`).
    static func affine(_ y: Tensor, _ a: Float, _ b: Float, into out: Tensor) {
        let py = y.pointer, po = out.pointer
        for i in 0..<y.count { po[i] = py[i] * a + b }
    }

    /// Categorical hinge per row: `max(neg - pos + 1, 0)`, `pos = sum(y p)`, `neg = max((1 - y) p)`; the gradient of
    /// `neg` is shared equally among tied maxima (TensorFlow's `reduce_max` gradient).
    static func categoricalHinge(yTrue: Tensor, yPred: Tensor, scale: Float, values: Tensor, gradient: Tensor) {
        let (rows, cols) = rowsAndColumns(yPred)
        let py = yTrue.pointer, pv = values.pointer, pg = gradient.pointer, pp = yPred.pointer
        for r in 0..<rows {
            let yr = py + r &* cols, pr = pp + r &* cols, gr = pg + r &* cols
            var pos: Float = 0, neg = -Float.infinity
            for j in 0..<cols {
                pos += yr[j] * pr[j]
                neg = max(neg, (1 - yr[j]) * pr[j])
            }
            let margin = neg - pos + 1
            pv[r] = max(margin, 0)
            var ties: Float = 0
            for j in 0..<cols where (1 - yr[j]) * pr[j] == neg { ties += 1 }
            for j in 0..<cols {
                guard margin >= 0 else { gr[j] = 0; continue }
                let isMax: Float = (1 - yr[j]) * pr[j] == neg ? (1 - yr[j]) / ties : 0
                gr[j] = scale * (isMax - yr[j])
            }
        }
    }

    /// Cosine similarity loss per row: `-sum(l2n(y) l2n(p))`, `l2n(x) = x * min(1/||x||, 1/eps)`; gradient
    /// `-(l2n(y) - c l2n(p)) / ||p||` (`c` the cosine), or `-l2n(y) / eps` where the norm was capped.
    static func cosineSimilarity(yTrue: Tensor, yPred: Tensor, scale: Float, values: Tensor, gradient: Tensor) {
        let (rows, cols) = rowsAndColumns(yPred)
        let py = yTrue.pointer, pv = values.pointer, pg = gradient.pointer, pp = yPred.pointer
        let cap = 1 / Losses.epsilon
        for r in 0..<rows {
            let yr = py + r &* cols, pr = pp + r &* cols, gr = pg + r &* cols
            var yy: Float = 0, ppSum: Float = 0, yp: Float = 0
            for j in 0..<cols { yy += yr[j] * yr[j]; ppSum += pr[j] * pr[j]; yp += yr[j] * pr[j] }
            let iy = min(1 / yy.squareRoot(), cap), ip = min(1 / ppSum.squareRoot(), cap)
            let cosine = yp * iy * ip
            pv[r] = -cosine
            let capped = ip == cap
            for j in 0..<cols {
                let yn = yr[j] * iy
                gr[j] = capped ? -scale * yn * ip : -scale * (yn - cosine * pr[j] * ip) * ip
            }
        }
    }

    /// Categorical focal crossentropy per row (Keras 3): `q = clip(p / sum(p), eps, 1 - eps)`,
    /// `-sum(alpha (1 - q)^gamma y log q)`, `y` smoothed to `y (1 - s) + s / K`. The gradient goes back through the
    /// normalisation (0 where `q` was clipped) and, with `softmaxInput`, through the softmax that made `p` from the
    /// logits (the gradient is then with respect to the logits).
    static func categoricalFocal(
        yTrue: Tensor, probabilities: Tensor, softmaxInput: Bool, alpha: Float, gamma: Float,
        smoothing: Float, scale: Float, values: Tensor, gradient: Tensor
    ) {
        let (rows, cols) = rowsAndColumns(probabilities)
        let py = yTrue.pointer, pv = values.pointer, pg = gradient.pointer, pp = probabilities.pointer
        let eps = Losses.epsilon
        let keep = 1 - smoothing, spread = smoothing / Float(cols)
        for r in 0..<rows {
            let yr = py + r &* cols, pr = pp + r &* cols, gr = pg + r &* cols
            var s: Float = 0
            for j in 0..<cols { s += pr[j] }
            var loss: Float = 0, dot: Float = 0
            for j in 0..<cols {
                let y = yr[j] * keep + spread
                let q = pr[j] / s
                let qc = min(max(q, eps), 1 - eps)
                let lq = Kernels.log(qc)
                let m = Float(pow(Double(1 - qc), Double(gamma)))
                loss += -alpha * m * y * lq
                // d/dq of -alpha (1 - q)^gamma y log q
                let dm = gamma == 0 ? 0 : gamma * Float(pow(Double(1 - qc), Double(gamma - 1)))
                let g: Float = (q >= eps && q <= 1 - eps) ? -alpha * y * (m / qc - dm * lq) : 0
                gr[j] = g
                dot += g * q
            }
            pv[r] = loss
            for j in 0..<cols { gr[j] = (gr[j] - dot) / s }
            if softmaxInput {
                var pgSum: Float = 0
                for j in 0..<cols { pgSum += pr[j] * gr[j] }
                for j in 0..<cols { gr[j] = pr[j] * (gr[j] - pgSum) }
            }
            for j in 0..<cols { gr[j] *= scale }
        }
    }
}

extension LossKernels {
    /// Multiplies each sample's block of `gradient` (`gradient.count / rows` scalars) by its weight: the gradient of
    /// `sum(w_i l_i) / n` from that of `sum(l_i) / n`.
    static func scaleSamples(_ gradient: Tensor, by weights: Tensor) {
        let rows = weights.count
        guard rows > 0 else { return }
        let block = gradient.count / rows
        let pg = gradient.pointer, pw = weights.pointer
        for r in 0..<rows {
            let w = pw[r]
            for j in 0..<block { pg[r &* block &+ j] *= w }
        }
    }
}
