import CStrataKernels

/// Window and global pooling loops over channels-last batches (the pointer code behind the pooling layers).
/// Windows follow `WindowGeometry`; positions in the padding are skipped, never read as zeros.
public enum PoolingKernels {
    /// Where max pooling sent each output's gradient, in the form the forward loop wrote it: one byte per output, its
    /// window position `ky * kw + kx` (the vectorised loops, windows inside the input), or the Int32 flat index into
    /// the batch (the general loop, windows that reach into the padding).
    struct MaxPositions {
        var window: [UInt8] = []
        var flat: [Int32] = []
        /// Whether the last forward pass wrote `window` (else `flat`).
        var inWindow = false
    }

    /// Whether the vectorised loops take geometry `g`: a CPU with AVX2 or AVX-512F, every window inside the input,
    /// undilated, of at most `STRATA_POOL_MAX_WINDOW` positions (its position fits a byte).
    static func vectorised(_ g: WindowGeometry) -> Bool {
        let h = g.height, w = g.width
        return ConvKernels.cpuLanes > 0 && h.padBefore == 0 && w.padBefore == 0 && h.output > 0 && w.output > 0
            && (h.output - 1) * h.stride + h.span <= h.input && (w.output - 1) * w.stride + w.span <= w.input
            && h.dilation == 1 && w.dilation == 1 && h.window * w.window <= Int(STRATA_POOL_MAX_WINDOW)
    }

    /// Max pooling: `y[n, oy, ox, c] = max` over the window's input positions; `positions` receives where the first
    /// maximum in scan order is (where TensorFlow's MaxPoolGrad sends the gradient). The vectorised loops split the
    /// batch into `parts` sample ranges handed to the pool's threads (`ConvKernels.split`): every output is computed
    /// alike whichever thread takes it, so results are the same at any thread count.
    static func maxForward(
        _ x: Tensor, _ g: WindowGeometry, into y: Tensor, positions: inout MaxPositions, parts: Int, pool: ThreadPool
    ) {
        guard vectorised(g) else {
            positions.inWindow = false
            return maxForward(x, g, into: y, argmax: &positions.flat)
        }
        positions.inWindow = true
        if positions.window.count < y.count { positions.window = [UInt8](repeating: 0, count: y.count) }
        let h = g.height, w = g.width, px = x.pointer, py = y.pointer
        let batch = g.inputSize == 0 ? 0 : x.count / g.inputSize
        positions.window.withUnsafeMutableBufferPointer { buf in
            let pa = buf.baseAddress!
            ConvKernels.split(batch: batch, parts: parts, pool: pool) { _, s in
                strata_max_pool_forward(
                    ConvKernels.cpuLanes, px, s.lowerBound, s.upperBound, h.input, w.input, g.channels,
                    h.window, w.window, h.stride, w.stride, py, pa, h.output, w.output)
            }
        }
    }

    /// Max pooling backward from the positions `maxForward` recorded: `dx[position] += dy` (`dx` written whole here).
    /// When the windows tile the input exactly (the usual 2x2 pool of an even size) one pass writes every position;
    /// other windows inside the input zero a sample, then add its outputs in order; both split by samples like the
    /// forward pass.
    static func maxBackward(
        _ dy: Tensor, _ g: WindowGeometry, positions: MaxPositions, into dx: Tensor, parts: Int, pool: ThreadPool
    ) {
        guard positions.inWindow else { return maxBackward(dy, g, argmax: positions.flat, into: dx) }
        let h = g.height, w = g.width, pg = dy.pointer, pd = dx.pointer
        let tiles =
            h.stride == h.window && w.stride == w.window && h.output * h.window == h.input
            && w.output * w.window == w.input
        let batch = g.inputSize == 0 ? 0 : dx.count / g.inputSize
        positions.window.withUnsafeBufferPointer { buf in
            let pa = buf.baseAddress!
            ConvKernels.split(batch: batch, parts: parts, pool: pool) { _, s in
                if tiles {
                    strata_max_pool_backward(
                        ConvKernels.cpuLanes, pg, pa, s.lowerBound, s.upperBound, h.input, w.input, g.channels,
                        h.window, w.window, pd, h.output, w.output)
                } else {
                    strata_max_pool_scatter(
                        pg, pa, s.lowerBound, s.upperBound, h.input, w.input, g.channels, h.window, w.window,
                        h.stride, w.stride, pd, h.output, w.output)
                }
            }
        }
    }

    /// Max pooling with the Int32 flat index of each output's first maximum in `argmax` (any geometry, padding
    /// included; the calling thread only: the layers use the byte positions above where they can). `parts` and `pool`
    /// are kept for source compatibility and unused.
    public static func maxForward(
        _ x: Tensor, _ g: WindowGeometry, into y: Tensor, argmax: inout [Int32],
        parts: Int = 1, pool: ThreadPool? = nil
    ) {
        let c = g.channels, px = x.pointer, py = y.pointer
        let batch = g.inputSize == 0 ? 0 : x.count / g.inputSize
        precondition(x.count < Int(Int32.max), "max pooling indexes batches below 2^31 scalars, got \(x.shape)")
        if argmax.count < y.count { argmax = [Int32](repeating: 0, count: y.count) }
        argmax.withUnsafeMutableBufferPointer { buf in
            let pa = buf.baseAddress!
            forEachWindow(g, batch: batch) { out, sample, ys, xs in
                let yo = py + out &* c, ao = pa + out &* c
                var first = true
                for iy in ys {
                    for ix in xs {
                        let at = sample + (iy &* g.width.input &+ ix) &* c
                        let xi = px + at
                        if first {
                            let base = Int32(truncatingIfNeeded: at)
                            for j in 0..<c { yo[j] = xi[j]; ao[j] = base &+ Int32(truncatingIfNeeded: j) }
                            first = false
                            continue
                        }
                        let base = Int32(truncatingIfNeeded: at)
                        for j in 0..<c {  // branchless, so it vectorises
                            let v = xi[j], better = v > yo[j]
                            yo[j] = better ? v : yo[j]
                            ao[j] = better ? base &+ Int32(truncatingIfNeeded: j) : ao[j]
                        }
                    }
                }
            }
        }
    }

    /// Max pooling backward from flat indices: `dx[argmax[i]] += dy[i]` (`dx` zeroed here). `parts` and `pool` are
    /// kept for source compatibility and unused.
    public static func maxBackward(
        _ dy: Tensor, _ g: WindowGeometry, argmax: [Int32], into dx: Tensor, parts: Int = 1,
        pool: ThreadPool? = nil
    ) {
        dx.fill(0)
        let pg = dy.pointer, pd = dx.pointer
        argmax.withUnsafeBufferPointer { pa in
            for i in 0..<dy.count { pd[Int(pa[i])] += pg[i] }
        }
    }

    /// Average pooling: the mean over the window's input positions (padding excluded from the count, as
    /// TensorFlow's `avg_pool` does).
    public static func averageForward(_ x: Tensor, _ g: WindowGeometry, into y: Tensor) {
        let c = g.channels, px = x.pointer, py = y.pointer
        let batch = g.inputSize == 0 ? 0 : x.count / g.inputSize
        forEachWindow(g, batch: batch) { out, sample, ys, xs in
            let yo = py + out &* c
            for j in 0..<c { yo[j] = 0 }
            for iy in ys {
                for ix in xs {
                    let xi = px + sample + (iy &* g.width.input &+ ix) &* c
                    for j in 0..<c { yo[j] += xi[j] }
                }
            }
            let inv = 1 / Float(count(ys) * count(xs))
            for j in 0..<c { yo[j] *= inv }
        }
    }

    /// Average pooling backward: each window position receives `dy / count` (`dx` zeroed here).
    public static func averageBackward(_ dy: Tensor, _ g: WindowGeometry, into dx: Tensor) {
        dx.fill(0)
        let c = g.channels, pg = dy.pointer, pd = dx.pointer
        let batch = g.inputSize == 0 ? 0 : dx.count / g.inputSize
        forEachWindow(g, batch: batch) { out, sample, ys, xs in
            let go = pg + out &* c
            let inv = 1 / Float(count(ys) * count(xs))
            for iy in ys {
                for ix in xs {
                    let di = pd + sample + (iy &* g.width.input &+ ix) &* c
                    for j in 0..<c { di[j] += go[j] * inv }
                }
            }
        }
    }

    /// Calls `body(outputIndex, sampleOffset, rows, columns)` for each output position of the batch, with the
    /// window's input rows and columns clipped to the input (strided by the dilation).
    @inline(__always)
    static func forEachWindow(
        _ g: WindowGeometry, batch: Int,
        _ body: (Int, Int, StrideTo<Int>, StrideTo<Int>) -> Void
    ) {
        let h = g.height, w = g.width
        var out = 0
        for n in 0..<batch {
            let sample = n &* g.inputSize
            for oy in 0..<h.output {
                let y0 = oy * h.stride - h.padBefore
                let ys = clipped(y0, h)
                for ox in 0..<w.output {
                    body(out, sample, ys, clipped(ox * w.stride - w.padBefore, w))
                    out += 1
                }
            }
        }
    }

    /// Number of positions in a clipped window range.
    @inline(__always)
    static func count(_ r: StrideTo<Int>) -> Int { r.underestimatedCount }

    /// Input positions `start + k*d` (k < window) that lie inside the axis.
    @inline(__always)
    static func clipped(_ start: Int, _ a: WindowAxis) -> StrideTo<Int> {
        var lo = start
        while lo < 0 { lo += a.dilation }
        let end = min(start + a.span, a.input)
        return stride(from: lo, to: max(lo, end), by: a.dilation)
    }

    // MARK: global pooling over `(batch, positions, channels)`

    /// `y[n, c] = mean_s x[n, s, c]`.
    public static func globalAverageForward(_ x: Tensor, batch: Int, positions: Int, channels c: Int, into y: Tensor) {
        let px = x.pointer, py = y.pointer
        let inv = 1 / Float(max(positions, 1))
        for n in 0..<batch {
            let yo = py + n &* c
            for j in 0..<c { yo[j] = 0 }
            for s in 0..<positions {
                let xi = px + (n &* positions &+ s) &* c
                for j in 0..<c { yo[j] += xi[j] }
            }
            for j in 0..<c { yo[j] *= inv }
        }
    }

    /// `dx[n, s, c] = dy[n, c] / positions`.
    public static func globalAverageBackward(_ dy: Tensor, batch: Int, positions: Int, channels c: Int, into dx: Tensor) {
        let pg = dy.pointer, pd = dx.pointer
        let inv = 1 / Float(max(positions, 1))
        for n in 0..<batch {
            let go = pg + n &* c
            for s in 0..<positions {
                let di = pd + (n &* positions &+ s) &* c
                for j in 0..<c { di[j] = go[j] * inv }
            }
        }
    }

    /// `y[n, c] = max_s x[n, s, c]`.
    public static func globalMaxForward(_ x: Tensor, batch: Int, positions: Int, channels c: Int, into y: Tensor) {
        let px = x.pointer, py = y.pointer
        for n in 0..<batch {
            let yo = py + n &* c
            let x0 = px + n &* positions &* c
            for j in 0..<c { yo[j] = x0[j] }
            for s in 1..<max(positions, 1) {
                let xi = x0 + s &* c
                for j in 0..<c { yo[j] = max(yo[j], xi[j]) }
            }
        }
    }

    /// TensorFlow's `reduce_max` gradient: `dy[n, c]` split equally among the positions equal to the maximum.
    public static func globalMaxBackward(
        _ dy: Tensor, x: Tensor, y: Tensor, batch: Int, positions: Int, channels c: Int,
        into dx: Tensor, counts: Tensor
    ) {
        let pg = dy.pointer, px = x.pointer, py = y.pointer, pd = dx.pointer, pc = counts.pointer
        for n in 0..<batch {
            let yo = py + n &* c, go = pg + n &* c
            let x0 = px + n &* positions &* c, d0 = pd + n &* positions &* c
            for j in 0..<c { pc[j] = 0 }
            for s in 0..<positions {
                let xi = x0 + s &* c
                for j in 0..<c { pc[j] += xi[j] == yo[j] ? 1 : 0 }
            }
            for s in 0..<positions {
                let xi = x0 + s &* c, di = d0 + s &* c
                for j in 0..<c { di[j] = xi[j] == yo[j] ? go[j] / pc[j] : 0 }
            }
        }
    }
}
