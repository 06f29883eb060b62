/// im2col / col2im for channels-last inputs: the packing that turns a convolution into one GEMM.
///
/// Row `q` of the packed matrix is output position `q = (n * oh + oy) * ow + ox` of the batch; its
/// `kh * kw * c` columns are the input patch in Keras's kernel order `(ky, kx, channel)`, zeros where the patch
/// lies in the padding. So `output[q, f] = sum_j cols[q, j] * kernel[j, f]` with the kernel seen as
/// `(kh * kw * c, filters)`, and the output rows are already channels-last. Callers pack a range of rows at a
/// time, so memory stays bounded whatever the batch and image size.
public enum Im2Col {
    /// Packs output positions `[firstRow, firstRow + rows)` of batch `x` into `cols` (`rows x patchSize`).
    public static func pack(_ x: Tensor, _ g: WindowGeometry, firstRow: Int, rows: Int, into cols: Tensor) {
        precondition(cols.count >= rows * g.patchSize, "im2col buffer \(cols.shape) too small for \(rows) rows")
        let c = g.channels, kw = g.width.window, segment = kw * c, patch = g.patchSize
        let px = x.pointer, pc = cols.pointer
        forEachRow(g, firstRow: firstRow, rows: rows) { r, sample, iy0, ix0 in
            let dst = pc + r &* patch
            for ky in 0..<g.height.window {
                let iy = iy0 + ky * g.height.dilation
                let d = dst + ky &* segment
                if iy < 0 || iy >= g.height.input { d.update(repeating: 0, count: segment); continue }
                let rowBase = px + sample + iy &* g.width.input &* c
                if g.width.dilation == 1 && ix0 >= 0 && ix0 + kw <= g.width.input {
                    let s = rowBase + ix0 &* c
                    for j in 0..<segment { d[j] = s[j] }  // a loop, not memmove: segments are short (kw * c)
                    continue
                }
                for kx in 0..<kw {
                    let ix = ix0 + kx * g.width.dilation
                    if ix < 0 || ix >= g.width.input {
                        (d + kx &* c).update(repeating: 0, count: c)
                    } else {
                        let s = rowBase + ix &* c, t = d + kx &* c; for j in 0..<c { t[j] = s[j] }
                    }
                }
            }
        }
    }

    /// col2im: adds packed patch gradients `cols` (rows `[firstRow, firstRow + rows)`) back into the input
    /// gradient `dx` (same layout as the batch input); padding positions are dropped.
    public static func unpackAdd(_ cols: Tensor, _ g: WindowGeometry, firstRow: Int, rows: Int, into dx: Tensor) {
        let c = g.channels, kw = g.width.window, segment = kw * c, patch = g.patchSize
        let pd = dx.pointer, pc = cols.pointer
        forEachRow(g, firstRow: firstRow, rows: rows) { r, sample, iy0, ix0 in
            let src = pc + r &* patch
            for ky in 0..<g.height.window {
                let iy = iy0 + ky * g.height.dilation
                if iy < 0 || iy >= g.height.input { continue }
                let s = src + ky &* segment
                let rowBase = pd + sample + iy &* g.width.input &* c
                if g.width.dilation == 1 && ix0 >= 0 && ix0 + kw <= g.width.input {
                    let t = rowBase + ix0 &* c
                    for j in 0..<segment { t[j] += s[j] }
                    continue
                }
                for kx in 0..<kw {
                    let ix = ix0 + kx * g.width.dilation
                    if ix < 0 || ix >= g.width.input { continue }
                    let t = rowBase + ix &* c, sk = s + kx &* c
                    for j in 0..<c { t[j] += sk[j] }
                }
            }
        }
    }

    /// Calls `body(row, sampleOffset, iy0, ix0)` for each output position in the range: the row within the
    /// chunk, the sample's scalar offset in the batch, and the window's top-left input coordinates.
    @inline(__always)
    static func forEachRow(
        _ g: WindowGeometry, firstRow: Int, rows: Int,
        _ body: (Int, Int, Int, Int) -> Void
    ) {
        let ow = g.width.output, oh = g.height.output, per = oh * ow
        guard rows > 0, per > 0 else { return }
        var n = firstRow / per
        var oy = (firstRow % per) / ow
        var ox = firstRow % ow
        for r in 0..<rows {
            body(r, n &* g.inputSize, oy * g.height.stride - g.height.padBefore, ox * g.width.stride - g.width.padBefore)
            ox += 1
            if ox == ow { ox = 0; oy += 1; if oy == oh { oy = 0; n += 1 } }
        }
    }
}
