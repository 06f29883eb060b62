/// Depthwise convolution loops (DepthwiseConv2D, and the first half of SeparableConv1D/2D) over channels-last
/// batches: each input channel `c` is convolved with its own `multiplier` filters,
/// `y[n, oy, ox, c*m + j] = sum_{ky,kx} x[n, oy*sh - pt + ky*dh, ox*sw - pl + kx*dw, c] * k[ky, kx, c, j]`,
/// zeros outside the input. The kernel `(kh, kw, channels, multiplier)` is Keras's layout. A window tap reads one
/// input row of `channels` and one kernel row of `channels * multiplier`, so the inner loops run over contiguous
/// memory; no packing (a depthwise convolution has too little arithmetic per scalar for a GEMM to pay).
enum DepthwiseConvKernels {
    /// Calls `body(position, inputOffset, kernelOffset)` for each in-range window tap of output position
    /// `position` (`(n * oh + oy) * ow + ox`) of a batch of `batch` samples.
    @inline(__always)
    private static func forEachTap(_ g: WindowGeometry, batch: Int, _ body: (Int, Int, Int) -> Void) {
        let h = g.height, w = g.width, c = g.channels
        for n in 0..<batch {
            for oy in 0..<h.output {
                for ox in 0..<w.output {
                    let q = (n &* h.output &+ oy) &* w.output &+ ox
                    for ky in 0..<h.window {
                        let iy = oy &* h.stride &- h.padBefore &+ ky &* h.dilation
                        if iy < 0 || iy >= h.input { continue }
                        for kx in 0..<w.window {
                            let ix = ox &* w.stride &- w.padBefore &+ kx &* w.dilation
                            if ix < 0 || ix >= w.input { continue }
                            body(q, n &* g.inputSize &+ (iy &* w.input &+ ix) &* c, (ky &* w.window &+ kx) &* c)
                        }
                    }
                }
            }
        }
    }

    /// `y = bias + depthwise(x, kernel)`, written over `y` (`(batch, oh, ow, channels * multiplier)`).
    static func forward(_ x: Tensor, _ g: WindowGeometry, kernel: Tensor, multiplier m: Int, bias: Tensor?, into y: Tensor) {
        let c = g.channels, out = c &* m
        let batch = g.inputSize == 0 ? 0 : x.count / g.inputSize
        let positions = batch &* g.outputPositions
        let px = x.pointer, pk = kernel.pointer, py = y.pointer
        if let bias {
            let pb = bias.pointer
            for q in 0..<positions { let row = py + q &* out; for j in 0..<out { row[j] = pb[j] } }
        } else {
            py.update(repeating: 0, count: positions &* out)
        }
        forEachTap(g, batch: batch) { q, xo, ko in
            let row = py + q &* out, xs = px + xo, ks = pk + ko &* m
            if m == 1 {
                for ch in 0..<c { row[ch] += xs[ch] * ks[ch] }
            } else {
                for ch in 0..<c {
                    let v = xs[ch], r = row + ch &* m, k = ks + ch &* m
                    for j in 0..<m { r[j] += v * k[j] }
                }
            }
        }
    }

    /// Adds the kernel gradient `dk[ky, kx, c, j] += sum x[.., c] * dz[.., c*m + j]` and, when `dx` is given,
    /// writes the input gradient `dx[.., c] = sum k[ky, kx, c, j] * dz[.., c*m + j]` over it.
    static func backward(
        _ x: Tensor, _ g: WindowGeometry, kernel: Tensor, multiplier m: Int, dz: Tensor,
        kernelGradient dk: Tensor, inputGradient dx: Tensor?
    ) {
        let c = g.channels, out = c &* m
        let batch = g.inputSize == 0 ? 0 : x.count / g.inputSize
        let px = x.pointer, pk = kernel.pointer, pdz = dz.pointer, pdk = dk.pointer
        let pdx = dx?.pointer
        pdx?.update(repeating: 0, count: batch &* g.inputSize)
        forEachTap(g, batch: batch) { q, xo, ko in
            let row = pdz + q &* out, xs = px + xo, ks = pk + ko &* m, dks = pdk + ko &* m
            for ch in 0..<c {
                let v = xs[ch], r = row + ch &* m, k = ks + ch &* m, d = dks + ch &* m
                var s: Float = 0
                for j in 0..<m {
                    d[j] += v * r[j]
                    s += k[j] * r[j]
                }
                if let pdx { pdx[xo &+ ch] += s }
            }
        }
    }
}
