import CBLAS

/// OpenBLAS entry points: the only file that imports CBLAS.
public enum BLAS {
    /// `c = alpha * op(a) * op(b) + beta * c` for row-major matrices given as (rows, cols) views.
    ///
    /// `a` is seen as `m x k` (or `k x m` when `transA`), `b` as `k x n` (or `n x k` when `transB`), `c` is `m x n`.
    /// The leading dimensions are the stored column counts, so tensors of any rank are read as 2-D by their sizes.
    public static func gemm(
        _ a: Tensor, rowsA: Int, colsA: Int, transA: Bool = false,
        _ b: Tensor, rowsB: Int, colsB: Int, transB: Bool = false,
        into c: Tensor, alpha: Float = 1, beta: Float = 0
    ) {
        let m = transA ? colsA : rowsA
        let k = transA ? rowsA : colsA
        let kb = transB ? colsB : rowsB
        let n = transB ? rowsB : colsB
        precondition(k == kb, "gemm inner dimensions differ: \(k) vs \(kb)")
        precondition(
            rowsA * colsA <= a.count && rowsB * colsB <= b.count && m * n <= c.count,
            "gemm operands too small: a \(a.shape) b \(b.shape) c \(c.shape) for \(m)x\(k)x\(n)")
        if m == 0 || n == 0 { return }
        if k == 0 {
            if beta == 0 { c.pointer.update(repeating: 0, count: m * n) } else { scal(c.pointer, m * n, beta) }
            return
        }
        cblas_sgemm(
            CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
            Int32(m), Int32(n), Int32(k), alpha, a.pointer, Int32(max(colsA, 1)),
            b.pointer, Int32(max(colsB, 1)), beta, c.pointer, Int32(max(n, 1)))
    }

    /// Multiplies `n` scalars at `x` by `alpha`.
    public static func scal(_ x: UnsafeMutablePointer<Float>, _ n: Int, _ alpha: Float) {
        if n > 0 { cblas_sscal(Int32(n), alpha, x, 1) }
    }

    /// Multiplies every scalar of `x` by `alpha`.
    public static func scal(_ x: Tensor, _ alpha: Float) { scal(x.pointer, x.count, alpha) }

    /// `y += alpha * x` over `n` scalars.
    public static func axpy(_ n: Int, _ alpha: Float, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>) {
        if n > 0 { cblas_saxpy(Int32(n), alpha, x, 1, y, 1) }
    }

    /// OpenBLAS threads used by this process.
    public static var threads: Int {
        get { Int(openblas_get_num_threads()) }
        set { openblas_set_num_threads(Int32(max(1, newValue))) }
    }

    /// The kernel OpenBLAS selected (e.g. "Haswell", "Cooperlake"): benchmarks print it.
    public static var coreName: String {
        guard let p = openblas_get_corename() else { return "unknown" }
        return String(cString: p)
    }

    /// OpenBLAS build configuration string.
    public static var config: String {
        guard let p = openblas_get_config() else { return "unknown" }
        return String(cString: p)
    }
}
