/// Elementwise and row-wise loops on raw buffers: with `Tensor.pointer` and wrapping arithmetic the compiler
/// vectorises them. exp/tanh/sigmoid use a float32 polynomial (`Kernels.exp`) instead of one libm call per element.
public enum Kernels {
    // MARK: exp

    /// exp(x) for Float: Cephes-style range reduction `x = n ln2 + r` and a degree-6 polynomial for `e^r`,
    /// accurate to about 1 ulp; inputs clamped to the finite range. Pure arithmetic, so loops over it vectorise.
    @inline(__always)
    public static func exp(_ x0: Float) -> Float {
        let x = min(max(x0, -87.33654), 88.72283)
        let n = (x * 1.442695041 + (x >= 0 ? 0.5 : -0.5)).rounded(.towardZero)
        var r = x - n * 0.693359375
        r = r - n * -2.12194440e-4
        var p: Float = 1.9875691500e-4
        p = p * r + 1.3981999507e-3
        p = p * r + 8.3334519073e-3
        p = p * r + 4.1665795894e-2
        p = p * r + 1.6666665459e-1
        p = p * r + 5.0000001201e-1
        p = p * r * r + r + 1
        let e = Int32(n) &+ 127
        if e <= 0 { return p * Float(bitPattern: UInt32(truncatingIfNeeded: e &+ 64) << 23) * 5.421010862e-20 }
        if e >= 255 { return p * Float(bitPattern: UInt32(truncatingIfNeeded: e &- 64) << 23) * 1.844674407e19 }
        return p * Float(bitPattern: UInt32(truncatingIfNeeded: e) << 23)
    }

    /// Logistic sigmoid `1 / (1 + e^-x)`.
    @inline(__always)
    public static func sigmoid(_ x: Float) -> Float { 1 / (1 + exp(-x)) }

    /// tanh(x) = sign(x) (1 - e^{-2|x|}) / (1 + e^{-2|x|}), with a Taylor form near 0 to keep relative accuracy.
    @inline(__always)
    public static func tanh(_ x: Float) -> Float {
        let a = abs(x)
        if a < 0.0625 {
            let x2 = x * x
            return x * (1 + x2 * (-1.0 / 3 + x2 * (2.0 / 15 + x2 * (-17.0 / 315))))
        }
        let e = exp(-2 * a)
        let t = (1 - e) / (1 + e)
        return x < 0 ? -t : t
    }

    /// log(x) for positive x (used by losses; not in hot elementwise loops).
    @inline(__always)
    public static func log(_ x: Float) -> Float { Float(libmLog(Double(x))) }

    /// log(1 + e^x), stable for large |x|.
    @inline(__always)
    public static func softplus(_ x: Float) -> Float { max(x, 0) + Float(libmLog1p(Double(exp(-abs(x))))) }

    /// erf(x) for Float (libm's `erff`; GELU only).
    @inline(__always)
    public static func erf(_ x: Float) -> Float { libmErf(x) }

    // MARK: rows

    /// `y[i, j] = x[i, j] + bias[j]` over `rows` rows of `cols`.
    public static func addRowVector(_ y: Tensor, _ bias: Tensor, rows: Int, cols: Int) {
        let py = y.pointer, pb = bias.pointer
        for i in 0..<rows {
            let r = py + i &* cols
            for j in 0..<cols { r[j] += pb[j] }
        }
    }

    /// Writes `value` over every scalar of `x`, split over `pool`'s threads when `x` is large (the step's gradient
    /// buffer: tens of MB zeroed every step).
    public static func fill(_ x: Tensor, _ value: Float, pool: ThreadPool) {
        pool.split(x.count, parts: pool.parts(x.count, grain: 1 << 18)) { _, r in
            (x.pointer + r.lowerBound).update(repeating: value, count: r.count)
        }
    }

    /// `y[i, j] = row[j]` over `rows` rows of `cols`: seeds a GEMM output with the bias (then `beta = 1`), which
    /// replaces both OpenBLAS's zeroing pass over `C` and a separate bias pass.
    public static func fillRows(_ y: Tensor, with row: Tensor, rows: Int, cols: Int) {
        let py = y.pointer, pr = row.pointer
        for i in 0..<rows { (py + i &* cols).update(from: pr, count: cols) }
    }

    /// `out[j] += sum_i x[i, j]` (bias gradients).
    public static func accumulateColumnSums(_ x: Tensor, rows: Int, cols: Int, into out: Tensor) {
        let px = x.pointer, po = out.pointer
        for i in 0..<rows {
            let r = px + i &* cols
            for j in 0..<cols { po[j] += r[j] }
        }
    }

    /// Sum of all scalars, in Double.
    public static func sum(_ x: Tensor) -> Double {
        let p = x.pointer
        var s = 0.0
        for i in 0..<x.count { s += Double(p[i]) }
        return s
    }

    /// True if every scalar is finite; otherwise the flat index of the first that is not.
    public static func firstNonFinite(_ x: Tensor) -> Int? {
        let p = x.pointer
        for i in 0..<x.count where !p[i].isFinite { return i }
        return nil
    }

    /// `y = x * mask` elementwise (dropout, masks precomputed).
    public static func multiply(_ x: Tensor, _ m: Tensor, into y: Tensor) {
        let px = x.pointer, pm = m.pointer, py = y.pointer
        for i in 0..<x.count { py[i] = px[i] * pm[i] }
    }

    /// Copies `count` scalars.
    public static func copy(_ src: Tensor, into dst: Tensor) {
        precondition(src.count == dst.count, "copy \(src.shape) into \(dst.shape)")
        dst.pointer.update(from: src.pointer, count: src.count)
    }

    /// Zeroes rows `rows` of the table of `width`-scalar rows that starts at `offset` in `x` (the rows a row-sparse
    /// step wrote), without a view per row.
    public static func zeroRows(_ x: Tensor, rows: [Int], offset: Int, width: Int) {
        let px = x.pointer + offset
        for row in rows {
            precondition(row >= 0 && offset + (row + 1) * width <= x.count, "zeroRows: row \(row) outside the buffer")
            (px + row &* width).update(repeating: 0, count: width)
        }
    }

    /// Gathers rows of `src` (rows of `rowSize` scalars) at `indices` into consecutive rows of `dst`.
    public static func gatherRows(_ src: Tensor, _ indices: ArraySlice<Int>, rowSize: Int, into dst: Tensor) {
        let ps = src.pointer, pd = dst.pointer
        var k = 0
        for i in indices {
            (pd + k &* rowSize).update(from: ps + i &* rowSize, count: rowSize)
            k += 1
        }
    }
}

#if canImport(Glibc)
    import Glibc
    @inline(__always) func libmLog(_ x: Double) -> Double { Glibc.log(x) }
    @inline(__always) func libmLog1p(_ x: Double) -> Double { Glibc.log1p(x) }
    @inline(__always) func libmErf(_ x: Float) -> Float { Glibc.erff(x) }
#else
    import Foundation
    @inline(__always) func libmLog(_ x: Double) -> Double { Foundation.log(x) }
    @inline(__always) func libmLog1p(_ x: Double) -> Double { Foundation.log1p(x) }
    @inline(__always) func libmErf(_ x: Float) -> Float { Foundation.erff(x) }
#endif

extension Kernels {
    /// Per-group sums over the rows of `x`: element `j` of each row adds `x` (or, with `center`, `(x - center[g])^2`)
    /// to group `g = index[j]` (`index.count` scalars per row). In Double (Normalization.adapt's statistics).
    static func groupSums(_ x: Tensor, index: [Int32], groups: Int, center: [Double]?) -> [Double] {
        var sums = [Double](repeating: 0, count: groups)
        let px = x.pointer, m = index.count
        for r in 0..<(m == 0 ? 0 : x.count / m) {
            for j in 0..<m {
                let g = Int(index[j]), v = Double(px[r &* m &+ j])
                if let center { let d = v - center[g]; sums[g] += d * d } else { sums[g] += v }
            }
        }
        return sums
    }
}
