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
        sgemm(transA, transB, m, n, k, alpha, a.pointer, colsA, b.pointer, colsB, beta, c.pointer, n)
    }

    /// The same product with the run's `pool` (`LayerContext.pool`) doing the threading instead of OpenBLAS: C is
    /// cut into `pool.threads` blocks of rows (or of columns, when it has more columns than rows), each computed by
    /// a one-thread OpenBLAS call on its own part (or, when the inner dimension dwarfs C, the sum is split:
    /// `gemmSplittingInner`). OpenBLAS stays at one thread meanwhile, so its own workers (which spin ~0.1 s after
    /// each threaded GEMM) never compete with the pool's for the cores. The split is fixed, so results are
    /// identical run to run at a given thread count.
    /// Without a pool, or with a one-thread pool, this is `gemm` as above.
    public static func gemm(
        _ a: Tensor, rowsA: Int, colsA: Int, transA: Bool = false,
        _ b: Tensor, rowsB: Int, colsB: Int, transB: Bool = false,
        into c: Tensor, alpha: Float = 1, beta: Float = 0, pool: ThreadPool?
    ) {
        guard let pool, pool.threads > 1 else {
            return gemm(
                a, rowsA: rowsA, colsA: colsA, transA: transA, b, rowsB: rowsB, colsB: colsB, transB: transB, into: c,
                alpha: alpha, beta: beta)
        }
        let m = transA ? colsA : rowsA, k = transA ? rowsA : colsA, n = transB ? rowsB : colsB
        if k >= innerSplitRatio &* max(m, n) {
            return gemmSplittingInner(
                a, colsA: colsA, transA: transA, b, colsB: colsB, transB: transB, into: c, m: m, k: k, n: n, alpha: alpha,
                beta: beta, pool: pool)
        }
        let (parts, byRows) = poolSplit(m: m, n: n, k: k, pool: pool)
        if parts <= 1 || k == 0 {
            return oneThread {
                gemm(
                    a, rowsA: rowsA, colsA: colsA, transA: transA, b, rowsB: rowsB, colsB: colsB, transB: transB,
                    into: c, alpha: alpha, beta: beta)
            }
        }
        precondition(
            (transB ? colsB : rowsB) == k && rowsA * colsA <= a.count && rowsB * colsB <= b.count && m * n <= c.count,
            "gemm operands do not match: a \(a.shape) b \(b.shape) c \(c.shape) for \(m)x\(k)x\(n)")
        let pa = a.pointer, pb = b.pointer, pc = c.pointer
        oneThread {
            pool.split(byRows ? m : n, parts: parts) { _, r in
                let lo = r.lowerBound
                if byRows {  // rows lo..< of op(A) and C
                    sgemm(
                        transA, transB, r.count, n, k, alpha, pa + (transA ? lo : lo &* colsA), colsA, pb, colsB, beta,
                        pc + lo &* n, n)
                } else {  // columns lo..< of op(B) and C
                    sgemm(
                        transA, transB, m, r.count, k, alpha, pa, colsA, pb + (transB ? lo &* colsB : lo), colsB, beta,
                        pc + lo, n)
                }
            }
        }
    }

    /// How `gemm(pool:)` cuts C over the pool: into `parts` blocks of rows (`byRows`) or of columns.
    private static func poolSplit(m: Int, n: Int, k: Int, pool: ThreadPool) -> (parts: Int, byRows: Bool) {
        let byRows = m >= n
        return (min(pool.parts(m &* n &* k, grain: splitGrain), max(1, (byRows ? m : n) / 8)), byRows)
    }

    /// `gemm(pool:)` with each part of C computed in blocks of `blockRows` rows, one OpenBLAS call per block, so that
    /// with `beta` 0 each block is cleared and accumulated while it sits in cache: Dense's weight gradient (32 MB
    /// on vgg_like, `(in x batch)(batch x units)`) is then written once a step instead of cleared by the trainer,
    /// then read and written again. A block's elements take the same micro-kernel path as in one call when
    /// `blockRows` is a multiple of the kernels' row unroll (384: 48 x 8; on Haswell the sums are bit for bit those
    /// of `gemm(pool:)`); the pool's parts, the inner split and small products are `gemm(pool:)`'s.
    public static func gemm(
        _ a: Tensor, rowsA: Int, colsA: Int, transA: Bool = false,
        _ b: Tensor, rowsB: Int, colsB: Int, transB: Bool = false,
        into c: Tensor, alpha: Float = 1, beta: Float = 0, pool: ThreadPool?, blockRows: Int
    ) {
        let m = transA ? colsA : rowsA, k = transA ? rowsA : colsA, n = transB ? rowsB : colsB
        let threaded = (pool?.threads ?? 1) > 1
        guard m > blockRows, k > 0, n > 0, !threaded || k < innerSplitRatio &* max(m, n) else {
            return gemm(
                a, rowsA: rowsA, colsA: colsA, transA: transA, b, rowsB: rowsB, colsB: colsB, transB: transB, into: c,
                alpha: alpha, beta: beta, pool: pool)
        }
        precondition(
            (transB ? colsB : rowsB) == k && rowsA * colsA <= a.count && rowsB * colsB <= b.count && m * n <= c.count,
            "gemm operands do not match: a \(a.shape) b \(b.shape) c \(c.shape) for \(m)x\(k)x\(n)")
        let pa = a.pointer, pb = b.pointer, pc = c.pointer
        /// Rows `rows` of op(A) and C times columns `cols` of op(B) and C, `blockRows` rows per call.
        func blocks(_ rows: Range<Int>, _ cols: Range<Int>) {
            for lo in stride(from: rows.lowerBound, to: rows.upperBound, by: blockRows) {
                let b0 = cols.lowerBound
                sgemm(
                    transA, transB, min(blockRows, rows.upperBound - lo), cols.count, k, alpha,
                    pa + (transA ? lo : lo &* colsA), colsA, pb + (transB ? b0 &* colsB : b0), colsB, beta, pc + lo &* n + b0, n)
            }
        }
        guard let pool, threaded else { return blocks(0..<m, 0..<n) }
        let (parts, byRows) = poolSplit(m: m, n: n, k: k, pool: pool)
        oneThread {
            if parts <= 1 { return blocks(0..<m, 0..<n) }
            pool.split(byRows ? m : n, parts: parts) { _, r in byRows ? blocks(r, 0..<n) : blocks(0..<m, r) }
        }
    }

    /// `gemm(pool:)` when the inner dimension dwarfs C (`k >= innerSplitRatio * max(m, n)`: Dense's forward after a
    /// Flatten, `(batch x 9216) (9216 x 128)`): cutting C would make every part read all of the larger operand, so
    /// each part takes a contiguous slice of `k` instead — its columns of op(A) and rows of op(B) — and computes
    /// the whole of C over it: part 0 into C (with `beta`), part `i` into the pool's scratch; the partial products
    /// are then added into C in part order, so results are identical run to run at a given thread count.
    private static func gemmSplittingInner(
        _ a: Tensor, colsA: Int, transA: Bool, _ b: Tensor, colsB: Int, transB: Bool, into c: Tensor, m: Int, k: Int,
        n: Int, alpha: Float, beta: Float, pool: ThreadPool
    ) {
        let parts = min(pool.parts(m &* n &* k, grain: splitGrain), max(1, k / 64))
        let partials = pool.scratch((parts - 1) &* m &* n)
        let pa = a.pointer, pb = b.pointer, pc = c.pointer, ps = partials.pointer
        oneThread {
            pool.split(k, parts: parts) { i, r in
                let lo = r.lowerBound
                sgemm(
                    transA, transB, m, n, r.count, alpha, pa + (transA ? lo &* colsA : lo), colsA,
                    pb + (transB ? lo : lo &* colsB), colsB, i == 0 ? beta : 0, i == 0 ? pc : ps + (i - 1) &* m &* n, n)
            }
            for i in 1..<max(parts, 1) { axpy(m &* n, 1, ps + (i - 1) &* m &* n, pc) }
        }
    }

    /// How many times larger than C's larger side the inner dimension must be for `gemm(pool:)` to split it.
    static let innerSplitRatio = 8

    /// Runs `body` with OpenBLAS at one thread (restored after): the run's pool threads the work instead, so OpenBLAS's
    /// own workers, which spin after each threaded call, never compete with the pool's for the cores.
    public static func oneThread<R>(_ body: () throws -> R) rethrows -> R {
        let saved = threads
        if saved != 1 { threads = 1 }
        defer { if saved != 1 { threads = saved } }
        return try body()
    }

    /// Multiply-adds per part below which `gemm(pool:)` does not split (a fork-join costs a few microseconds; 2^18
    /// multiply-adds take about as long on one core).
    static let splitGrain = 1 << 18

    /// Row-major `cblas_sgemm` on raw pointers with explicit leading dimensions.
    private static func sgemm(
        _ transA: Bool, _ transB: Bool, _ m: Int, _ n: Int, _ k: Int, _ alpha: Float, _ a: UnsafePointer<Float>,
        _ lda: Int, _ b: UnsafePointer<Float>, _ ldb: Int, _ beta: Float, _ c: UnsafeMutablePointer<Float>, _ ldc: Int
    ) {
        cblas_sgemm(
            CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
            Int32(m), Int32(n), Int32(k), alpha, a, Int32(max(lda, 1)), b, Int32(max(ldb, 1)), beta, c,
            Int32(max(ldc, 1)))
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
