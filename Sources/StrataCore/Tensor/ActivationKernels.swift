/// The elementwise (and, for softmax, row-wise) loops of `ActivationFunction`: its Keras formulas applied over a
/// tensor, and their gradients. Input and output may be the same tensor (an activation applied in place, a gradient
/// written over `dy`); `map` then reads and writes through one pointer so the loops still vectorise.
enum ActivationKernels {
    /// `y = f(x)`; `x` and `y` have the same shape and may be the same tensor.
    static func apply(_ f: ActivationFunction, _ x: Tensor, into y: Tensor) {
        let n = x.count, px = x.pointer, py = y.pointer
        switch f {
        case .linear: if px != py { py.update(from: px, count: n) }
        case .relu: Self.map(n, px, py) { max($0, 0) }
        case .sigmoid: Self.map(n, px, py) { Kernels.sigmoid($0) }
        case .tanh: Self.map(n, px, py) { Kernels.tanh($0) }
        case .hardSigmoid: Self.map(n, px, py) { min(max($0 / 6 + 0.5, 0), 1) }
        case .hardSigmoidLegacy: Self.map(n, px, py) { min(max(0.2 * $0 + 0.5, 0), 1) }
        case .elu: Self.map(n, px, py) { v in v > 0 ? v : Kernels.exp(v) - 1 }
        case .selu:
            let s = ActivationFunction.seluScale, a = ActivationFunction.seluAlpha
            Self.map(n, px, py) { v in v > 0 ? s * v : s * a * (Kernels.exp(v) - 1) }
        case .softplus: Self.map(n, px, py) { Kernels.softplus($0) }
        case .softsign: Self.map(n, px, py) { v in v / (1 + abs(v)) }
        case .gelu: Self.map(n, px, py) { v in 0.5 * v * (1 + Kernels.erf(v * 0.70710678118654752)) }
        case .silu: Self.map(n, px, py) { v in v * Kernels.sigmoid(v) }
        case .relu6: Self.map(n, px, py) { min(max($0, 0), 6) }
        case .leakyRelu: Self.map(n, px, py) { v in v > 0 ? v : 0.2 * v }
        case .mish: Self.map(n, px, py) { v in v * Kernels.tanh(Kernels.softplus(v)) }
        case .exponential: Self.map(n, px, py) { Kernels.exp($0) }
        case .softmax: softmax(x, into: y, outer: n / max(x.shape.last ?? 1, 1), axis: x.shape.last ?? 1, inner: 1)
        case .logSoftmax: softmax(x, into: y, outer: n / max(x.shape.last ?? 1, 1), axis: x.shape.last ?? 1, inner: 1, log: true)
        }
    }

    /// Softmax (or log-softmax) over the middle axis of `x` seen as `(outer, axis, inner)`; `y` may be `x`.
    /// `softmax = e^(x - m) / sum e^(x - m)`, `log_softmax = x - m - log(sum e^(x - m))`, `m` the maximum.
    static func softmax(_ x: Tensor, into y: Tensor, outer: Int, axis: Int, inner: Int, log: Bool = false) {
        let px = x.pointer, py = y.pointer
        guard axis > 0 else { return }
        for o in 0..<outer {
            for i in 0..<inner {
                let base = o &* axis &* inner &+ i
                let xr = px + base, yr = py + base
                var m = -Float.infinity
                for j in 0..<axis { m = max(m, xr[j &* inner]) }
                var s: Float = 0
                if log {
                    for j in 0..<axis { s += Kernels.exp(xr[j &* inner] - m) }
                    let lse = m + Kernels.log(s)
                    for j in 0..<axis { yr[j &* inner] = xr[j &* inner] - lse }
                } else {
                    for j in 0..<axis { let e = Kernels.exp(xr[j &* inner] - m); yr[j &* inner] = e; s += e }
                    let inv = 1 / s
                    for j in 0..<axis { yr[j &* inner] *= inv }
                }
            }
        }
    }

    /// The gradient of `softmax(_:into:outer:axis:inner:log:)` from its output `y`: `dx = y (dy - sum dy y)`, or for
    /// log-softmax `dx = dy - e^y sum dy`. `dx` may be `dy`.
    static func softmaxGradient(y: Tensor, dy: Tensor, into dx: Tensor, outer: Int, axis: Int, inner: Int, log: Bool = false) {
        let py = y.pointer, pg = dy.pointer, pd = dx.pointer
        for o in 0..<outer {
            for i in 0..<inner {
                let base = o &* axis &* inner &+ i
                let yr = py + base, gr = pg + base, dr = pd + base
                var dot: Float = 0
                if log {
                    for j in 0..<axis { dot += gr[j &* inner] }
                    for j in 0..<axis { dr[j &* inner] = gr[j &* inner] - Kernels.exp(yr[j &* inner]) * dot }
                } else {
                    for j in 0..<axis { dot += gr[j &* inner] * yr[j &* inner] }
                    for j in 0..<axis { dr[j &* inner] = yr[j &* inner] * (gr[j &* inner] - dot) }
                }
            }
        }
    }

    /// `dx = dy * f'(x)`, given the input `x` and output `y` of `apply`. `dx` may alias `dy`.
    static func gradient(_ f: ActivationFunction, x: Tensor, y: Tensor, dy: Tensor, into dx: Tensor) {
        let n = x.count, px = x.pointer, py = y.pointer, pg = dy.pointer, pd = dx.pointer
        // Each case is f(x, y, dy) per element (`Self.map`).
        switch f {
        case .linear: if pg != pd { pd.update(from: pg, count: n) }
        case .relu: Self.map(n, px, py, pg, pd) { x, _, g in x > 0 ? g : 0 }  // unconditional load: vectorises
        case .sigmoid: Self.map(n, px, py, pg, pd) { _, s, g in g * s * (1 - s) }
        case .tanh: Self.map(n, px, py, pg, pd) { _, t, g in g * (1 - t * t) }
        case .hardSigmoid: Self.map(n, px, py, pg, pd) { v, _, g in (v > -3 && v < 3) ? g / 6 : 0 }
        case .hardSigmoidLegacy: Self.map(n, px, py, pg, pd) { v, _, g in (v > -2.5 && v < 2.5) ? g * 0.2 : 0 }
        case .elu: Self.map(n, px, py, pg, pd) { x, y, g in x > 0 ? g : g * (y + 1) }
        case .selu:
            let s = ActivationFunction.seluScale, a = ActivationFunction.seluAlpha
            Self.map(n, px, py, pg, pd) { x, y, g in x > 0 ? g * s : g * (y + s * a) }
        case .softplus: Self.map(n, px, py, pg, pd) { x, _, g in g * Kernels.sigmoid(x) }
        case .softsign:
            Self.map(n, px, py, pg, pd) { x, _, g in
                let d = 1 + abs(x); return g / (d * d)
            }
        case .gelu:
            Self.map(n, px, py, pg, pd) { x, _, g in
                g * (0.5 * (1 + Kernels.erf(x * 0.70710678118654752)) + x * 0.3989422804014327 * Kernels.exp(-0.5 * x * x))
            }
        case .silu:
            Self.map(n, px, py, pg, pd) { x, _, g in
                let s = Kernels.sigmoid(x); return g * s * (1 + x * (1 - s))
            }
        case .relu6: Self.map(n, px, py, pg, pd) { x, _, g in x > 0 && x < 6 ? g : 0 }
        case .leakyRelu: Self.map(n, px, py, pg, pd) { x, _, g in x > 0 ? g : 0.2 * g }
        case .mish:
            Self.map(n, px, py, pg, pd) { x, _, g in
                let t = Kernels.tanh(Kernels.softplus(x)); return g * (t + x * (1 - t * t) * Kernels.sigmoid(x))
            }
        case .exponential: Self.map(n, px, py, pg, pd) { _, y, g in g * y }
        case .softmax, .logSoftmax:
            let cols = max(x.shape.last ?? 1, 1)
            softmaxGradient(y: y, dy: dy, into: dx, outer: n / cols, axis: cols, inner: 1, log: f == .logSoftmax)
        }
    }

    /// PReLU: `y = x > 0 ? x : alpha[index[j]] * x` for element `j` of each sample (`index.count` per sample).
    static func prelu(_ x: Tensor, alpha: Tensor, index: [Int32], into y: Tensor) {
        let px = x.pointer, py = y.pointer, pa = alpha.pointer, m = index.count
        index.withUnsafeBufferPointer { ix in
            for s in 0..<(m == 0 ? 0 : x.count / m) {
                let xs = px + s &* m, ys = py + s &* m
                for j in 0..<m { let v = xs[j]; ys[j] = v > 0 ? v : pa[Int(ix[j])] * v }
            }
        }
    }

    /// PReLU's gradients: `dx = dy * (x > 0 ? 1 : alpha)`, `dalpha += sum dy * min(x, 0)`; `dx` may be `dy`.
    static func preluGradient(x: Tensor, alpha: Tensor, index: [Int32], dy: Tensor, into dx: Tensor, alphaGradient: Tensor) {
        let px = x.pointer, pg = dy.pointer, pd = dx.pointer, pa = alpha.pointer, pda = alphaGradient.pointer, m = index.count
        index.withUnsafeBufferPointer { ix in
            for s in 0..<(m == 0 ? 0 : x.count / m) {
                let o = s &* m
                for j in 0..<m {
                    let v = px[o &+ j], g = pg[o &+ j], k = Int(ix[j])
                    if v < 0 { pda[k] += g * v }
                    pd[o &+ j] = v > 0 ? g : pa[k] * g
                }
            }
        }
    }

    /// `py[i] = f(px[i])` over a tensor, for layers whose activation has arguments (`ReLU(max_value:)`, `ELU(alpha:)`).
    static func apply(_ x: Tensor, into y: Tensor, _ f: (Float) -> Float) { map(x.count, x.pointer, y.pointer, f) }

    /// `dx[i] = f(x[i], y[i], dy[i])` over tensors (the gradient twin of `apply(_:into:_:)`); `dx` may be `dy`.
    static func gradient(x: Tensor, y: Tensor, dy: Tensor, into dx: Tensor, _ f: (Float, Float, Float) -> Float) {
        map(x.count, x.pointer, y.pointer, dy.pointer, dx.pointer, f)
    }

    /// `py[i] = f(px[i])` for `i < n`, where `py` may be `px` (an activation applied in place): one pointer then,
    /// for the reason `map(_:_:_:_:_:_:)` gives.
    @inline(__always)
    static func map(
        _ n: Int, _ px: UnsafeMutablePointer<Float>, _ py: UnsafeMutablePointer<Float>,
        _ f: (Float) -> Float
    ) {
        if px == py {
            for i in 0..<n { py[i] = f(py[i]) }
        } else {
            for i in 0..<n { py[i] = f(px[i]) }
        }
    }

    /// `pd[i] = f(px[i], py[i], pg[i])` for `i < n`, where `pd` may be `pg` (a gradient written over `dy`): that case
    /// reads and writes through one pointer, because LLVM's overlap check sends a loop whose output aliases an
    /// input to its scalar version (5x slower).
    @inline(__always)
    static func map(
        _ n: Int, _ px: UnsafeMutablePointer<Float>, _ py: UnsafeMutablePointer<Float>,
        _ pg: UnsafeMutablePointer<Float>, _ pd: UnsafeMutablePointer<Float>,
        _ f: (Float, Float, Float) -> Float
    ) {
        if pg == pd {
            for i in 0..<n { pd[i] = f(px[i], py[i], pd[i]) }
        } else {
            for i in 0..<n { pd[i] = f(px[i], py[i], pg[i]) }
        }
    }
}
