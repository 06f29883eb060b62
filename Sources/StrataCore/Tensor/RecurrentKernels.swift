/// The elementwise loops of the recurrent layers (LSTM, GRU, SimpleRNN, Embedding) on raw buffers.
///
/// Layers keep their per-step tensors time-major, `(T, N, width)`, so step `t` is one contiguous block of `N`
/// rows: the per-step GEMM writes into it directly and these loops walk it with unit stride.
extension Kernels {
    // MARK: activations on raw rows

    /// `e^x` by `Kernels.exp`'s range reduction and polynomial, with the input clamped to [-87, 87] and
    /// `n = round(x / ln2)` taken by the 1.5 * 2^23 trick: no branch and no checked conversion, so loops over
    /// it vectorise (here the edge cases of `Kernels.exp` cannot occur).
    @inline(__always)
    static func expVectorizable(_ x0: Float) -> Float {
        let x = min(max(x0, -87), 87)
        let shifted = x * 1.442695041 + 12_582_912
        let n = shifted - 12_582_912
        var r = x - n * 0.693359375
        r = r - n * -2.12194440e-4
        var p: Float = 1.9875691500e-4
        p = p * r + 1.3981999507e-3
        p = p * r + 8.3334519073e-3
        p = p * r + 4.1665795894e-2
        p = p * r + 1.6666665459e-1
        p = p * r + 5.0000001201e-1
        p = p * r * r + r + 1
        return p * Float(bitPattern: (shifted.bitPattern &- 0x4B40_0000 &+ 127) << 23)
    }

    /// `1 / (1 + e^-x)`, vectorisable.
    @inline(__always)
    static func sigmoidVectorizable(_ x: Float) -> Float { 1 / (1 + expVectorizable(-x)) }

    /// `tanh` as `Kernels.tanh` (Taylor form below 0.0625), computed branch-free so loops vectorise.
    @inline(__always)
    static func tanhVectorizable(_ x: Float) -> Float {
        let a = abs(x)
        let x2 = x * x
        let small = x * (1 + x2 * (-1.0 / 3 + x2 * (2.0 / 15 + x2 * (-17.0 / 315))))
        let e = expVectorizable(-2 * a)
        let t = (1 - e) / (1 + e)
        return a < 0.0625 ? small : (x < 0 ? -t : t)
    }

    /// `p[i] = f(p[i])` over `n` scalars (the switch is outside the loops so each loop vectorises).
    @inline(__always)
    static func activateInPlace(_ f: ActivationFunction, _ p: UnsafeMutablePointer<Float>, _ n: Int) {
        switch f {
        case .linear: break
        case .sigmoid: for i in 0..<n { p[i] = sigmoidVectorizable(p[i]) }
        case .tanh: for i in 0..<n { p[i] = tanhVectorizable(p[i]) }
        case .relu: for i in 0..<n { p[i] = max(p[i], 0) }
        case .hardSigmoid: for i in 0..<n { p[i] = min(max(p[i] / 6 + 0.5, 0), 1) }
        case .hardSigmoidLegacy: for i in 0..<n { p[i] = min(max(0.2 * p[i] + 0.5, 0), 1) }
        default: preconditionFailure("activation \(f) is not supported in a recurrent cell (checked at build)")
        }
    }

    /// `f'(x)` written in terms of the output `y = f(x)` (which is what the recurrent layers keep).
    @inline(__always)
    static func derivative(_ f: ActivationFunction, output y: Float) -> Float {
        switch f {
        case .tanh: return 1 - y * y
        case .sigmoid: return y * (1 - y)
        case .linear: return 1
        case .relu: return y > 0 ? 1 : 0
        case .hardSigmoid: return (y > 0 && y < 1) ? 1.0 / 6 : 0
        case .hardSigmoidLegacy: return (y > 0 && y < 1) ? 0.2 : 0
        default: preconditionFailure("activation \(f) is not supported in a recurrent cell (checked at build)")
        }
    }

    /// The activations a recurrent cell accepts: their derivative is a function of their output.
    public static let recurrentActivations: Set<ActivationFunction> = [
        .tanh, .sigmoid, .linear, .relu, .hardSigmoid,
        .hardSigmoidLegacy,
    ]

    // MARK: layout

    /// Batch-major `(N, T, D)` to time-major `(T, N, D)`; `reverse` reads time backwards (`go_backwards`);
    /// `mask` `(N, D)`, if given, multiplies every step of sample `n` (an RNN input dropout mask).
    public static func toTimeMajor(
        _ x: Tensor, rows: Int, steps: Int, features: Int, reverse: Bool, mask: Tensor?,
        into xs: Tensor
    ) {
        precondition(x.count >= rows * steps * features && xs.count >= rows * steps * features, "toTimeMajor sizes")
        let px = x.pointer, po = xs.pointer
        let pm = mask?.pointer
        for n in 0..<rows {
            for t in 0..<steps {
                let src = px + (n &* steps &+ (reverse ? steps - 1 - t : t)) &* features
                let dst = po + (t &* rows &+ n) &* features
                if let pm {
                    let m = pm + n &* features
                    for j in 0..<features { dst[j] = src[j] * m[j] }
                } else {
                    dst.update(from: src, count: features)
                }
            }
        }
    }

    /// The inverse of `toTimeMajor`: time-major `(T, N, D)` (starting at step `firstStep` of `xs`) to batch-major
    /// `(N, T, D)`, reversing time if asked and multiplying by `mask` `(N, D)` if given.
    public static func fromTimeMajor(
        _ xs: Tensor, firstStep: Int = 0, rows: Int, steps: Int, features: Int,
        reverse: Bool, mask: Tensor?, into x: Tensor
    ) {
        precondition(
            xs.count >= (firstStep + steps) * rows * features && x.count >= rows * steps * features,
            "fromTimeMajor sizes")
        let ps = xs.pointer + firstStep &* rows &* features, po = x.pointer
        let pm = mask?.pointer
        for n in 0..<rows {
            for t in 0..<steps {
                let src = ps + (t &* rows &+ n) &* features
                let dst = po + (n &* steps &+ (reverse ? steps - 1 - t : t)) &* features
                if let pm {
                    let m = pm + n &* features
                    for j in 0..<features { dst[j] = src[j] * m[j] }
                } else {
                    dst.update(from: src, count: features)
                }
            }
        }
    }

    /// `y += x` over `n` scalars starting at the given offsets.
    public static func add(_ x: Tensor, offset ox: Int = 0, into y: Tensor, offset oy: Int = 0, count n: Int) {
        precondition(ox + n <= x.count && oy + n <= y.count, "add sizes")
        let px = x.pointer + ox, py = y.pointer + oy
        for i in 0..<n { py[i] += px[i] }
    }

    /// Copies `n` scalars from `x` at `ox` to `y` at `oy`.
    public static func copy(_ x: Tensor, offset ox: Int, into y: Tensor, offset oy: Int, count n: Int) {
        precondition(ox + n <= x.count && oy + n <= y.count, "copy sizes")
        (y.pointer + oy).update(from: x.pointer + ox, count: n)
    }

    /// `y = x * m` over `n` scalars at the given offsets (recurrent dropout of one step's `h`).
    public static func multiply(_ x: Tensor, offset ox: Int, _ m: Tensor, into y: Tensor, offset oy: Int, count n: Int) {
        precondition(ox + n <= x.count && n <= m.count && oy + n <= y.count, "multiply sizes")
        let px = x.pointer + ox, pm = m.pointer, py = y.pointer + oy
        for i in 0..<n { py[i] = px[i] * pm[i] }
    }

    /// Dropout mask `(rows, width)`: `1/(1-rate)` or 0, keyed by (rng, global sample index, feature) as `Dropout`.
    public static func dropoutMask(_ m: Tensor, rows: Int, width: Int, rate: Float, rng: CounterRandom, firstRow: Int) {
        let keep: Float = rate < 1 ? 1 / (1 - rate) : 0
        let pm = m.pointer
        for r in 0..<rows {
            let base = UInt64(firstRow + r) &* UInt64(width)
            for j in 0..<width { pm[r &* width &+ j] = rng.uniform(base &+ UInt64(j)) >= rate ? keep : 0 }
        }
    }

    // MARK: LSTM

    /// One LSTM step (keras/src/layers/rnn/lstm.py, gate order i, f, c, o). On entry `z[t]` holds the
    /// pre-activations `x W + h W_r + b` `(N, 4u)`; on exit the activated gates. Writes `c[t+1]`, `h[t+1]` and
    /// `act(c)` into `ac[t]` from `c[t]`:  `c' = f c + i g`, `h' = o act(c')`. `only`: just these rows (rows are
    /// independent within a step, so the run's pool splits a step by rows).
    public static func lstmStep(
        t: Int, rows: Int, units u: Int, z: Tensor, c: Tensor, h: Tensor, ac: Tensor,
        activation: ActivationFunction, recurrentActivation: ActivationFunction, only part: Range<Int>? = nil
    ) {
        let pz = z.pointer + t &* rows &* 4 &* u
        let pcPrev = c.pointer + t &* rows &* u, pc = pcPrev + rows &* u
        let ph = h.pointer + (t + 1) &* rows &* u
        let pa = ac.pointer + t &* rows &* u
        for n in part ?? 0..<rows {
            let g = pz + n &* 4 &* u
            activateInPlace(recurrentActivation, g, 2 &* u)  // i, f
            activateInPlace(activation, g + 2 &* u, u)  // c candidate
            activateInPlace(recurrentActivation, g + 3 &* u, u)  // o
            let cp = pcPrev + n &* u, cn = pc + n &* u, an = pa + n &* u
            for j in 0..<u { cn[j] = g[u &+ j] * cp[j] + g[j] * g[2 &* u &+ j] }
            an.update(from: cn, count: u)
            activateInPlace(activation, an, u)
            let hn = ph + n &* u
            for j in 0..<u { hn[j] = g[3 &* u &+ j] * an[j] }
        }
    }

    /// Backward of `lstmStep` at step `t`. `dh` `(N, u)` is the gradient reaching `h[t+1]` (from the output and
    /// from step t+1); `dc` `(N, u)` holds the gradient reaching `c[t+1]` from step t+1 and is replaced by the
    /// gradient reaching `c[t]`. Writes the pre-activation gradients into `dz[t]` `(N, 4u)`. `only`: just these rows.
    public static func lstmStepBackward(
        t: Int, rows: Int, units u: Int, gates: Tensor, c: Tensor, ac: Tensor,
        dh: Tensor, dc: Tensor, dz: Tensor,
        activation: ActivationFunction, recurrentActivation: ActivationFunction, only part: Range<Int>? = nil
    ) {
        let rowRange = part ?? 0..<rows
        let pg0 = gates.pointer + t &* rows &* 4 &* u, pd0 = dz.pointer + t &* rows &* 4 &* u
        let pcPrev = c.pointer + t &* rows &* u, pa = ac.pointer + t &* rows &* u
        let pdh = dh.pointer, pdc = dc.pointer
        if activation == .tanh && recurrentActivation == .sigmoid {
            // Keras's defaults, with the derivatives written out so the loop vectorises.
            for n in rowRange {
                let g = pg0 + n &* 4 &* u, d = pd0 + n &* 4 &* u
                let cp = pcPrev + n &* u, a = pa + n &* u, dhn = pdh + n &* u, dcn = pdc + n &* u
                for j in 0..<u {
                    let i = g[j], f = g[u &+ j], cc = g[2 &* u &+ j], o = g[3 &* u &+ j], aj = a[j]
                    let dcj = dcn[j] + dhn[j] * o * (1 - aj * aj)
                    d[j] = dcj * cc * (i * (1 - i))
                    d[u &+ j] = dcj * cp[j] * (f * (1 - f))
                    d[2 &* u &+ j] = dcj * i * (1 - cc * cc)
                    d[3 &* u &+ j] = dhn[j] * aj * (o * (1 - o))
                    dcn[j] = dcj * f
                }
            }
            return
        }
        for n in rowRange {
            let g = pg0 + n &* 4 &* u, d = pd0 + n &* 4 &* u
            let cp = pcPrev + n &* u, a = pa + n &* u, dhn = pdh + n &* u, dcn = pdc + n &* u
            for j in 0..<u {
                let i = g[j], f = g[u &+ j], cc = g[2 &* u &+ j], o = g[3 &* u &+ j]
                let dcj = dcn[j] + dhn[j] * o * derivative(activation, output: a[j])
                d[j] = dcj * cc * derivative(recurrentActivation, output: i)
                d[u &+ j] = dcj * cp[j] * derivative(recurrentActivation, output: f)
                d[2 &* u &+ j] = dcj * i * derivative(activation, output: cc)
                d[3 &* u &+ j] = dhn[j] * a[j] * derivative(recurrentActivation, output: o)
                dcn[j] = dcj * f
            }
        }
    }

    // MARK: GRU

    /// One GRU step, Keras 3 `reset_after=True` (keras/src/layers/rnn/gru.py `GRUCell.call`, gate order z, r, h).
    /// On entry `x[t]` holds `x W + b_in` and `r[t]` holds `h W_r + b_rec` `(N, 3u)`. On exit `x[t]` holds the
    /// activated z, r and candidate hh, and `h[t+1] = z h[t] + (1 - z) hh` with `hh = act(x_h + r * rec_h)`.
    public static func gruStep(
        t: Int, rows: Int, units u: Int, x: Tensor, r: Tensor, h: Tensor,
        activation: ActivationFunction, recurrentActivation: ActivationFunction
    ) {
        let px = x.pointer + t &* rows &* 3 &* u, pr = r.pointer + t &* rows &* 3 &* u
        let phPrev = h.pointer + t &* rows &* u, ph = phPrev + rows &* u
        for n in 0..<rows {
            let a = px + n &* 3 &* u, rec = pr + n &* 3 &* u
            for j in 0..<(2 &* u) { a[j] += rec[j] }
            activateInPlace(recurrentActivation, a, 2 &* u)
            for j in 0..<u { a[2 &* u &+ j] += a[u &+ j] * rec[2 &* u &+ j] }
            activateInPlace(activation, a + 2 &* u, u)
            let hp = phPrev + n &* u, hn = ph + n &* u
            for j in 0..<u { let z = a[j]; hn[j] = z * hp[j] + (1 - z) * a[2 &* u &+ j] }
        }
    }

    /// Backward of `gruStep`. `dh` `(N, u)` is the gradient reaching `h[t+1]`; it is replaced by the direct part
    /// of the gradient reaching `h[t]` (`dh * z`; the caller adds the recurrent GEMM part). Writes the gradients of
    /// the input pre-activations into `dx[t]` and of the recurrent pre-activations (`h W_r + b_rec`) into `dr[t]`.
    public static func gruStepBackward(
        t: Int, rows: Int, units u: Int, gates: Tensor, r: Tensor, h: Tensor,
        dh: Tensor, dx: Tensor, dr: Tensor,
        activation: ActivationFunction, recurrentActivation: ActivationFunction
    ) {
        let pg = gates.pointer + t &* rows &* 3 &* u, pr = r.pointer + t &* rows &* 3 &* u
        let pdx = dx.pointer + t &* rows &* 3 &* u, pdr = dr.pointer + t &* rows &* 3 &* u
        let phPrev = h.pointer + t &* rows &* u, pdh = dh.pointer
        for n in 0..<rows {
            let g = pg + n &* 3 &* u, rec = pr + n &* 3 &* u, gx = pdx + n &* 3 &* u, gr = pdr + n &* 3 &* u
            let hp = phPrev + n &* u, d = pdh + n &* u
            for j in 0..<u {
                let z = g[j], rr = g[u &+ j], hh = g[2 &* u &+ j]
                let dhh = d[j] * (1 - z) * derivative(activation, output: hh)
                let dzz = d[j] * (hp[j] - hh) * derivative(recurrentActivation, output: z)
                let drr = dhh * rec[2 &* u &+ j] * derivative(recurrentActivation, output: rr)
                gx[j] = dzz; gx[u &+ j] = drr; gx[2 &* u &+ j] = dhh
                gr[j] = dzz; gr[u &+ j] = drr; gr[2 &* u &+ j] = dhh * rr
                d[j] = d[j] * z
            }
        }
    }

    // MARK: SimpleRNN

    /// `h[t+1] = act(z[t])` for a SimpleRNN step (keras/src/layers/rnn/simple_rnn.py); `z[t]` = `x W + b + h W_r`.
    public static func simpleRNNStep(t: Int, rows: Int, units u: Int, z: Tensor, h: Tensor, activation: ActivationFunction) {
        let n = rows &* u
        let ph = h.pointer + (t + 1) &* n
        ph.update(from: z.pointer + t &* n, count: n)
        activateInPlace(activation, ph, n)
    }

    /// `dz[t] = dh * act'(h[t+1])`.
    public static func simpleRNNStepBackward(
        t: Int, rows: Int, units u: Int, h: Tensor, dh: Tensor, dz: Tensor,
        activation: ActivationFunction
    ) {
        let n = rows &* u
        let ph = h.pointer + (t + 1) &* n, pd = dh.pointer, pz = dz.pointer + t &* n
        for i in 0..<n { pz[i] = pd[i] * derivative(activation, output: ph[i]) }
    }

    // MARK: Embedding

    /// `out[k] = table[ids[k]]` (rows of `width`). The ids were checked by `Embedding.checkInput`.
    public static func gatherEmbeddings(_ table: Tensor, ids: Tensor, width: Int, into out: Tensor) {
        let pt = table.pointer, pi = ids.pointer, po = out.pointer
        let rowsInTable = table.count / max(width, 1)
        for k in 0..<ids.count {
            let id = Int(pi[k])
            precondition(id >= 0 && id < rowsInTable, "embedding id \(id) outside [0, \(rowsInTable)) reached the kernel")
            (po + k &* width).update(from: pt + id &* width, count: width)
        }
    }

    /// `grad[ids[k]] += dy[k]` (the embedding table's gradient is a scatter-add).
    public static func scatterAddEmbeddings(_ dy: Tensor, ids: Tensor, width: Int, into grad: Tensor) {
        let pg = grad.pointer, pi = ids.pointer, pd = dy.pointer
        for k in 0..<ids.count {
            let row = pg + Int(pi[k]) &* width, src = pd + k &* width
            for j in 0..<width { row[j] += src[j] }
        }
    }
}
