import CStrataKernels

/// A right-hand matrix `op(B)` `(k, n)` copied once into 16-column panels
/// (Sources/CStrataKernels/include/panel_gemm.h) for many small products against it:
///
///     c[rows] = a[rows] op(B)        or        c[rows] += a[rows] op(B)
///
/// The recurrent layers' per-step `h_{t-1} recurrent_kernel` (and backward's `dz_t recurrent_kernelᵀ`) multiply the
/// same kernel T times a pass with only a few rows each, and every sgemm call packs the whole kernel again: at 8
/// rows that fixed cost was most of the step and did not shrink with the rows a rank runs. Every element of `c` is
/// one FMA chain over `k` in order, so a row's result does not depend on how many rows are computed with it or
/// which thread computes it. AVX2 + FMA only (`isAvailable`); elsewhere callers keep OpenBLAS.
struct PackedPanels {
    /// Rows and columns of `op(B)`.
    let k: Int
    let n: Int
    private let panels: Tensor

    /// Whether this CPU runs the kernel (AVX2 + FMA, or AVX-512F, which has them).
    static let isAvailable = ConvKernels.cpuLanes >= 8

    /// Floats of packed storage for a `(k, n)` `op(B)`.
    static func count(k: Int, n: Int) -> Int { strata_panel_count(n) * Int(STRATA_PANEL_COLS) * k }

    /// Packs `op(b)` `(k, n)` into `storage` (at least `count(k:n:)` floats): `b` is `(k, n)`, or `(n, k)` read
    /// transposed when `transposed`.
    init(_ b: Tensor, k: Int, n: Int, transposed: Bool, storage: Tensor) {
        precondition(b.count >= k * n && storage.count >= Self.count(k: k, n: n), "PackedPanels sizes")
        self.k = k
        self.n = n
        panels = storage
        strata_pack_panels(b.pointer, transposed ? k : n, transposed ? 1 : 0, k, n, storage.pointer)
    }

    /// Rows `rows` of `c` `(m, n)` = (`accumulate` ? those rows of `c` : 0) + the same rows of `a` `(m, k)` times
    /// `op(B)`. Rows are independent: callers split them over threads.
    func multiply(_ a: Tensor, into c: Tensor, rows: Range<Int>, accumulate: Bool) {
        precondition(a.count >= rows.upperBound * k && c.count >= rows.upperBound * n, "PackedPanels.multiply sizes")
        guard !rows.isEmpty else { return }
        strata_panel_gemm_avx2(
            rows.count, k, n, a.pointer + rows.lowerBound * k, k, panels.pointer, c.pointer + rows.lowerBound * n, n,
            accumulate ? 1 : 0)
    }
}
