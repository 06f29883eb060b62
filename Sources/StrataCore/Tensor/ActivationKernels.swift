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
        case .softmax:
            let cols = x.shape.last ?? 1
            let rows = cols == 0 ? 0 : n / cols
            for r in 0..<rows {
                let xr = px + r &* cols, yr = py + r &* cols
                var m = -Float.infinity
                for j in 0..<cols { m = max(m, xr[j]) }
                var s: Float = 0
                for j in 0..<cols { let e = Kernels.exp(xr[j] - m); yr[j] = e; s += e }
                let inv = 1 / s
                for j in 0..<cols { yr[j] *= inv }
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
        case .softmax:
            let cols = x.shape.last ?? 1
            let rows = cols == 0 ? 0 : n / cols
            for r in 0..<rows {
                let yr = py + r &* cols, gr = pg + r &* cols, dr = pd + r &* cols
                var dot: Float = 0
                for j in 0..<cols { dot += gr[j] * yr[j] }
                for j in 0..<cols { dr[j] = yr[j] * (gr[j] - dot) }
            }
        }
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
