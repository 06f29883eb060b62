/// The loops behind Keras's timestep masks (keras/src/backend/tensorflow/rnn.py `rnn(mask=...)`): a recurrent
/// layer skips a masked step by keeping its states and, for its output, repeating the previous output (zeros
/// before the first kept step) or writing zeros (`zero_output_for_mask`).
extension Kernels {
    /// Keras's mask `m` `(N, T)` (nonzero: the step is used) to the time-major `keep` `(T, N)` of 1 and 0 in
    /// processing order (time reversed for `go_backwards`), and each step's output multiplier `outputScale`
    /// `(T, N)`: `keep` itself with `zero_output_for_mask`, else whether any step up to it was kept (the previous
    /// output repeated equals the carried state once one step was kept, zeros before).
    public static func timestepMask(
        _ m: Tensor, rows: Int, steps: Int, reverse: Bool, zeroOutput: Bool, keep: Tensor, outputScale: Tensor
    ) {
        precondition(m.count == rows * steps && keep.count >= rows * steps && outputScale.count >= rows * steps, "timestepMask sizes")
        let pm = m.pointer, pk = keep.pointer, ps = outputScale.pointer
        for n in 0..<rows {
            var seen: Float = 0
            for t in 0..<steps {
                let k: Float = pm[n &* steps &+ (reverse ? steps - 1 - t : t)] != 0 ? 1 : 0
                seen = max(seen, k)
                pk[t &* rows &+ n] = k
                ps[t &* rows &+ n] = zeroOutput ? k : seen
            }
        }
    }

    /// For each row `n` of `rows` with `keep[keepOffset + n] == 0`, copies the `width` scalars of row `n` of `x`
    /// (from `ox`) to row `n` of `y` (from `oy`): a skipped step keeps its state; backward saves and restores the
    /// gradients that pass a skipped step unchanged.
    public static func copySkippedRows(
        _ x: Tensor, offset ox: Int, into y: Tensor, offset oy: Int, rows: Int, width: Int, keep: Tensor, keepOffset: Int
    ) {
        precondition(
            ox + rows * width <= x.count && oy + rows * width <= y.count && keepOffset + rows <= keep.count,
            "copySkippedRows sizes")
        let pk = keep.pointer + keepOffset, px = x.pointer + ox, py = y.pointer + oy
        for n in 0..<rows where pk[n] == 0 {
            (py + n &* width).update(from: px + n &* width, count: width)
        }
    }

    /// Zeros row `n` of `x` (from `offset`, rows of `width`) where `keep[keepOffset + n] == 0`: a skipped step
    /// receives no gradient into its gates.
    public static func zeroSkippedRows(_ x: Tensor, offset: Int, rows: Int, width: Int, keep: Tensor, keepOffset: Int) {
        precondition(offset + rows * width <= x.count && keepOffset + rows <= keep.count, "zeroSkippedRows sizes")
        let pk = keep.pointer + keepOffset, px = x.pointer + offset
        for n in 0..<rows where pk[n] == 0 {
            (px + n &* width).update(repeating: 0, count: width)
        }
    }

    /// Multiplies step `t` of sample `n` (`width` scalars) by `scale[t * rows + n]` (`scale` time-major `(T, N)`);
    /// `x` is batch-major `(N, T, width)`, or time-major `(T, N, width)` with `timeMajor`, or, with `steps == 1`
    /// and `scaleOffset`, one step `(N, width)` scaled by row `scaleOffset / rows` of `scale`.
    public static func scaleSteps(
        _ x: Tensor, rows: Int, steps: Int, width: Int, timeMajor: Bool, by scale: Tensor, scaleOffset: Int = 0
    ) {
        precondition(x.count >= rows * steps * width && scaleOffset + rows * steps <= scale.count, "scaleSteps sizes")
        let px = x.pointer, ps = scale.pointer + scaleOffset
        for t in 0..<steps {
            for n in 0..<rows {
                let s = ps[t &* rows &+ n]
                if s == 1 { continue }
                let row = px + (timeMajor ? t &* rows &+ n : n &* steps &+ t) &* width
                for j in 0..<width { row[j] *= s }
            }
        }
    }
}

extension Kernels {
    /// Keras `Masking`: for each row of `width` scalars of `x`, `mask[r] = any(x[r] != value)` (1 or 0) and
    /// `y[r] = x[r] * mask[r]`. `y` may be `x`.
    public static func maskingRows(_ x: Tensor, width: Int, value: Float, into y: Tensor, mask: Tensor) {
        let rows = mask.count
        precondition(x.count == rows * width && y.count == x.count, "maskingRows sizes")
        let px = x.pointer, py = y.pointer, pm = mask.pointer
        for r in 0..<rows {
            let row = px + r &* width, out = py + r &* width
            var keep: Float = 0
            for j in 0..<width where row[j] != value { keep = 1; break }
            pm[r] = keep
            for j in 0..<width { out[j] = row[j] * keep }
        }
    }

    /// `mask[k] = ids[k] != 0 ? 1 : 0` (Keras `Embedding(mask_zero=True)`'s `compute_mask`).
    public static func nonZeroMask(_ ids: Tensor, into mask: Tensor) {
        precondition(ids.count == mask.count, "nonZeroMask sizes")
        let pi = ids.pointer, pm = mask.pointer
        for k in 0..<ids.count { pm[k] = pi[k] != 0 ? 1 : 0 }
    }
}

extension Kernels {
    /// Keras `GlobalAveragePooling1D` with a mask `m` `(N, T)`: `y[n, c] = sum_t m[n, t] x[n, t, c] / sum_t
    /// m[n, t]` (a sample with every step masked gives 0/0 = NaN, as in Keras).
    public static func maskedAverageSteps(_ x: Tensor, mask m: Tensor, rows: Int, steps: Int, channels: Int, into y: Tensor) {
        precondition(
            x.count == rows * steps * channels && m.count == rows * steps && y.count == rows * channels, "maskedAverageSteps sizes")
        let px = x.pointer, pm = m.pointer, py = y.pointer
        for n in 0..<rows {
            let yr = py + n &* channels
            yr.update(repeating: 0, count: channels)
            var kept: Float = 0
            for t in 0..<steps where pm[n &* steps &+ t] != 0 {
                kept += 1
                let xr = px + (n &* steps &+ t) &* channels
                for c in 0..<channels { yr[c] += xr[c] }
            }
            for c in 0..<channels { yr[c] /= kept }
        }
    }

    /// The gradient of `maskedAverageSteps`: `dx[n, t, c] = m[n, t] dy[n, c] / sum_t m[n, t]`.
    public static func maskedAverageStepsBackward(_ dy: Tensor, mask m: Tensor, rows: Int, steps: Int, channels: Int, into dx: Tensor) {
        precondition(
            dx.count == rows * steps * channels && m.count == rows * steps && dy.count == rows * channels,
            "maskedAverageStepsBackward sizes")
        let pd = dy.pointer, pm = m.pointer, px = dx.pointer
        for n in 0..<rows {
            var kept: Float = 0
            for t in 0..<steps where pm[n &* steps &+ t] != 0 { kept += 1 }
            let d = pd + n &* channels
            for t in 0..<steps {
                let xr = px + (n &* steps &+ t) &* channels
                if pm[n &* steps &+ t] != 0 {
                    for c in 0..<channels { xr[c] = d[c] / kept }
                } else {
                    xr.update(repeating: 0, count: channels)
                }
            }
        }
    }
}
