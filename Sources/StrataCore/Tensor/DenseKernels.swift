import CStrataKernels

/// Dense's products when the batch is small and the kernel large (Sources/CStrataKernels/include/dense_kernels.h):
///
///     forward   z  = x W                  (rows x units)
///     backward  dx = dz Wᵀ,  dW (+)= xᵀ dz  in one pass over W's rows
///
/// vgg_like's Dense (30976 -> 256, 32 rows on 1 rank, 16 per rank on 2) ran at 26-38% of sgemm through OpenBLAS,
/// which packs the whole 32 MB kernel for each product and is tuned for many rows. These kernels stream the kernel
/// once per product in its stored order, the backward writes each row of dW once (past the caches when aligned),
/// and no product is split over the inner dimension, so threads need no partial sums. Every output is a fixed
/// sequence of operations on its own inputs: results are bit for bit the same at any thread count.
///
/// Internal, like `ConvKernels` and `WinogradKernels`: `Dense` is the only caller and passes sizes it built, so the
/// size checks are debug `assert`s (they run in the tests' debug builds, not in release steps).
enum DenseKernels {
    /// Whether `Dense` uses these kernels for `rows` rows against an `(inputDim, units)` kernel: a fixed shape rule,
    /// never a timing — a CPU with AVX2 + FMA, at most `maxRows` rows, at least 16 units, and a kernel of at least
    /// `minKernel` floats (past L2, where OpenBLAS's packing of it per product costs most). mnist_cnn's Dense (128
    /// rows per batch on 1 rank, 64 on 2) and the small MLPs keep OpenBLAS.
    static func applies(rows: Int, inputDim: Int, units: Int) -> Bool {
        isAvailable && rows >= 1 && rows <= maxRows && units >= 16 && inputDim &* units >= minKernel
    }

    /// Most rows the kernels take (a rank's batch of 32 on vgg_like; the backward keeps a block of x's columns for
    /// `STRATA_DENSE_MAX_M` rows on the stack).
    static let maxRows = 32
    /// Smallest kernel, in floats (4 MB).
    static let minKernel = 1 << 20
    /// AVX2 + FMA (or AVX-512F, which has them).
    static let isAvailable = ConvKernels.cpuLanes >= 8 && maxRows <= Int(STRATA_DENSE_MAX_M)

    /// `z` `(rows, units)` = `x` `(rows, inputDim)` `w` `(inputDim, units)`: `pool`'s threads take contiguous
    /// 16-column strips of `z` (each reads its columns of `w` once).
    static func forward(_ x: Tensor, _ w: Tensor, into z: Tensor, rows: Int, inputDim: Int, units: Int, pool: ThreadPool) {
        assert(
            x.count >= rows * inputDim && w.count >= inputDim * units && z.count >= rows * units,
            "DenseKernels.forward sizes: x \(x.shape) w \(w.shape) z \(z.shape) for \(rows)x\(inputDim)x\(units)")
        let strips = (units + 15) / 16
        let parts = pool.parts(strips)
        let perPart = strata_dense_forward_scratch(0, 16 * ((strips + parts - 1) / parts))
        let scratch = pool.scratch(parts * perPart).pointer
        let px = x.pointer, pw = w.pointer, pz = z.pointer
        pool.split(strips, parts: parts) { part, r in
            strata_dense_forward_avx2(
                rows, inputDim, r.lowerBound * 16, min(units, r.upperBound * 16), px, inputDim, pw, units, pz, units, 0,
                scratch + part * perPart)
        }
    }

    /// `dx` `(rows, inputDim)` = `dz` `(rows, units)` `wᵀ` (skipped when `dx` is nil) and `dw` `(inputDim, units)` =
    /// (`accumulate` ? `dw` : 0) + `xᵀ dz`: `pool`'s threads take chunks of `w`'s rows (`ThreadPool.chunks`), each
    /// writing its own columns of `dx` and rows of `dw`.
    static func backward(
        _ x: Tensor, _ dz: Tensor, _ w: Tensor, dx: Tensor?, dw: Tensor, accumulate: Bool, rows: Int, inputDim: Int,
        units: Int, pool: ThreadPool
    ) {
        assert(
            x.count >= rows * inputDim && dz.count >= rows * units && w.count >= inputDim * units
                && dw.count >= inputDim * units && (dx.map { $0.count >= rows * inputDim } ?? true) && rows <= maxRows,
            "DenseKernels.backward sizes: x \(x.shape) dz \(dz.shape) w \(w.shape) dw \(dw.shape) for \(rows)x\(inputDim)x\(units)")
        let packed = pool.scratch(strata_dense_backward_scratch(rows, units)).pointer
        strata_dense_pack_gradient(rows, units, dz.pointer, units, packed)
        let px = x.pointer, pw = w.pointer, pdx = dx?.pointer, pdw = dw.pointer
        pool.chunks(inputDim, chunks: pool.chunkCount(inputDim, grain: 512)) { _, _, r in
            strata_dense_backward_avx2(
                rows, units, r.lowerBound, r.upperBound, px, inputDim, packed, pw, units, pdx, inputDim, pdw, units,
                accumulate ? 1 : 0)
        }
    }
}
