/// The loops of the resampling layers (ZeroPadding, Cropping, UpSampling) over channels-last batches seen as
/// `(batch, height, width, channels)`; 1-D layers pass a height of 1. Callers zero the destination when a loop
/// writes only part of it or adds into it.
enum ResamplingKernels {
    /// One sample's spatial frame: `(height, width, channels)`.
    struct Frame: Equatable, Sendable {
        let height: Int, width: Int, channels: Int
        var size: Int { height * width * channels }
    }

    /// For each of `batch` samples, copies the `rows x cols` block of `src` whose top-left is `from` to `dst` at
    /// `to` (ZeroPadding forward, Cropping forward, and each one's backward with the frames swapped).
    static func copyBlock(
        _ src: Tensor, _ s: Frame, from: (y: Int, x: Int), into dst: Tensor, _ d: Frame, to: (y: Int, x: Int),
        rows: Int, cols: Int, batch: Int
    ) {
        precondition(s.channels == d.channels && src.count >= batch * s.size && dst.count >= batch * d.size)
        let c = s.channels, run = cols &* c
        let ps = src.pointer, pd = dst.pointer
        for n in 0..<batch {
            for r in 0..<rows {
                let ia: Int = n &* s.size &+ ((from.y &+ r) &* s.width &+ from.x) &* c
                let ib: Int = n &* d.size &+ ((to.y &+ r) &* d.width &+ to.x) &* c
                let a = ps + ia, b = pd + ib
                for j in 0..<run { b[j] = a[j] }
            }
        }
    }

    /// Nearest-neighbour upsampling by `(sh, sw)`: `y[n, oy, ox, :] = x[n, oy / sh, ox / sw, :]`.
    static func nearestForward(_ x: Tensor, _ f: Frame, size: (Int, Int), into y: Tensor, batch: Int) {
        let c = f.channels, oh = f.height &* size.0, ow = f.width &* size.1
        let px = x.pointer, py = y.pointer
        for n in 0..<batch {
            for oy in 0..<oh {
                for ox in 0..<ow {
                    let ia: Int = n &* f.size &+ ((oy / size.0) &* f.width &+ ox / size.1) &* c
                    let ib: Int = ((n &* oh &+ oy) &* ow &+ ox) &* c
                    let a = px + ia, b = py + ib
                    for j in 0..<c { b[j] = a[j] }
                }
            }
        }
    }

    /// The gradient of `nearestForward`: each input position gets the sum of its `sh * sw` copies' gradients,
    /// written over `dx`.
    static func nearestBackward(_ dy: Tensor, _ f: Frame, size: (Int, Int), into dx: Tensor, batch: Int) {
        dx.fill(0)
        let c = f.channels, oh = f.height &* size.0, ow = f.width &* size.1
        let pdy = dy.pointer, pdx = dx.pointer
        for n in 0..<batch {
            for oy in 0..<oh {
                for ox in 0..<ow {
                    let ia: Int = ((n &* oh &+ oy) &* ow &+ ox) &* c
                    let ib: Int = n &* f.size &+ ((oy / size.0) &* f.width &+ ox / size.1) &* c
                    let a = pdy + ia, b = pdx + ib
                    for j in 0..<c { b[j] += a[j] }
                }
            }
        }
    }

    /// Where output position `o` of one axis reads in bilinear resizing: the two input positions and the weight of
    /// the second (TensorFlow's half-pixel-centre rule, `compute_interpolation_weights`).
    struct Lerp: Equatable, Sendable {
        let lower: Int, upper: Int, weight: Float
    }

    /// Bilinear resize to `(oh, ow)` with one `Lerp` per output row and column:
    /// `top = tl + (tr - tl) xw`, `bottom = bl + (br - bl) xw`, `y = top + (bottom - top) yw` (TF's order).
    static func bilinearForward(_ x: Tensor, _ f: Frame, rows: [Lerp], cols: [Lerp], into y: Tensor, batch: Int) {
        let c = f.channels, oh = rows.count, ow = cols.count
        let px = x.pointer, py = y.pointer
        for n in 0..<batch {
            let base = px + n &* f.size
            for oy in 0..<oh {
                let r = rows[oy]
                let top = base + r.lower &* f.width &* c, bottom = base + r.upper &* f.width &* c
                for ox in 0..<ow {
                    let q = cols[ox]
                    let tl = top + q.lower &* c, tr = top + q.upper &* c
                    let bl = bottom + q.lower &* c, br = bottom + q.upper &* c
                    let out = py + ((n &* oh &+ oy) &* ow &+ ox) &* c
                    for j in 0..<c {
                        let t = tl[j] + (tr[j] - tl[j]) * q.weight
                        let b = bl[j] + (br[j] - bl[j]) * q.weight
                        out[j] = t + (b - t) * r.weight
                    }
                }
            }
        }
    }

    /// The gradient of `bilinearForward` (TF's `ResizeBilinearGrad`): each output gradient goes to its four input
    /// positions with weights `(1 - yw)(1 - xw)`, `(1 - yw) xw`, `yw (1 - xw)`, `yw xw`; written over `dx`.
    static func bilinearBackward(_ dy: Tensor, _ f: Frame, rows: [Lerp], cols: [Lerp], into dx: Tensor, batch: Int) {
        dx.fill(0)
        let c = f.channels, oh = rows.count, ow = cols.count
        let pdy = dy.pointer, pdx = dx.pointer
        for n in 0..<batch {
            let base = pdx + n &* f.size
            for oy in 0..<oh {
                let r = rows[oy]
                let top = base + r.lower &* f.width &* c, bottom = base + r.upper &* f.width &* c
                for ox in 0..<ow {
                    let q = cols[ox]
                    let g = pdy + ((n &* oh &+ oy) &* ow &+ ox) &* c
                    let wt = 1 - r.weight, wb = r.weight, wl = 1 - q.weight, wr = q.weight
                    let tl = top + q.lower &* c, tr = top + q.upper &* c
                    let bl = bottom + q.lower &* c, br = bottom + q.upper &* c
                    for j in 0..<c {
                        let v = g[j]
                        tl[j] += v * wt * wl
                        tr[j] += v * wt * wr
                        bl[j] += v * wb * wl
                        br[j] += v * wb * wr
                    }
                }
            }
        }
    }
}
