import TestSupport
import XCTest

@testable import StrataCore

final class BLASTests: XCTestCase {
    /// `alpha * op(a) * op(b) + beta * c0` summed in Double, the reference the float GEMMs are checked against.
    private func reference(
        _ a: Tensor, _ b: Tensor, _ c0: Tensor, m: Int, k: Int, n: Int, transA: Bool, transB: Bool, alpha: Float,
        beta: Float
    ) -> Tensor {
        let a = a.scalars, b = b.scalars, c0 = c0.scalars
        var c = [Float](repeating: 0, count: m * n)
        for i in 0..<m {
            for j in 0..<n {
                var s = 0.0
                for p in 0..<k {
                    let av = transA ? a[p * m + i] : a[i * k + p]
                    let bv = transB ? b[j * k + p] : b[p * n + j]
                    s += Double(av) * Double(bv)
                }
                c[i * n + j] = Float(Double(alpha) * s + Double(beta) * Double(c0[i * n + j]))
            }
        }
        return try! Tensor(shape: [m, n], scalars: c)
    }

    /// The pool-split GEMM (rows of C when it has more rows, columns otherwise, the sum when k dwarfs C) against a
    /// Double product, for every transpose combination and 2 and 3 threads; a second call gives the same bits;
    /// OpenBLAS's thread count is back to what it was afterwards.
    func testPoolSplitGEMMMatchesTheProductAndRepeatsBitForBit() {
        // (m, k, n): tall C split by rows (3 parts at 3 threads), wide C split by columns (Dense's forward and input
        // gradient shapes; 2 parts), and a product too small to split (`BLAS.splitGrain` multiply-adds per part).
        // And an inner dimension 8x C's larger side and more (Dense's forward after a Flatten): its sum split, the
        // partial products added in part order.
        let shapes = [(200, 64, 64), (12, 300, 200), (5, 7, 3), (16, 2000, 24)]
        let saved = BLAS.threads
        defer { BLAS.threads = saved }
        BLAS.threads = 2
        let pools = [ThreadPool(threads: 2), ThreadPool(threads: 3)]
        for (si, (m, k, n)) in shapes.enumerated() {
            for transA in [false, true] {
                for transB in [false, true] {
                    let seed = UInt64(si * 4 + (transA ? 2 : 0) + (transB ? 1 : 0))
                    let a = GradientCheck.random(transA ? [k, m] : [m, k], seed: 100 + seed)
                    let b = GradientCheck.random(transB ? [n, k] : [k, n], seed: 200 + seed)
                    let c0 = GradientCheck.random([m, n], seed: 300 + seed)
                    let want = reference(
                        a, b, c0, m: m, k: k, n: n, transA: transA, transB: transB, alpha: 0.5, beta: 0.25)
                    for pool in pools {
                        let threads = pool.threads
                        let what = "\(m)x\(k)x\(n) transA \(transA) transB \(transB), \(threads) threads"
                        var runs: [[Float]] = []
                        for _ in 0..<2 {
                            let c = c0.copy()
                            BLAS.gemm(
                                a, rowsA: a.shape[0], colsA: a.shape[1], transA: transA, b, rowsB: b.shape[0],
                                colsB: b.shape[1], transB: transB, into: c, alpha: 0.5, beta: 0.25, pool: pool)
                            runs.append(c.scalars)
                        }
                        Parity.assertClose(
                            try! Tensor(shape: [m, n], scalars: runs[0]), want, absolute: 1e-4, relative: 1e-4, what)
                        XCTAssertEqual(runs[0], runs[1], "\(what): not bit-identical run to run")
                        XCTAssertEqual(BLAS.threads, 2, "\(what): OpenBLAS threads not restored")
                    }
                }
            }
        }
    }

    /// `gemm(blockRows:)` (Dense's weight gradient, C computed `blockRows` rows per OpenBLAS call) against one call:
    /// the same bits for blocks of a multiple of 48 rows, adding (beta 1) and storing (beta 0), with no pool and with
    /// 2 and 3 threads (against `gemm(pool:)` at the same threads); storing over NaNs equals adding onto zeros. (On
    /// this machine's OpenBLAS kernels, Haswell/Zen; the claim is the kernels' fixed row unroll.)
    func testRowBlockedGEMMIsBitForBitTheOneCall() {
        let (m, k, n) = (1000, 16, 40)  // Dense's dW: (in x batch)(batch x units), C 1000 rows: 3 blocks of 384 rows
        let a = GradientCheck.random([k, m], seed: 1), b = GradientCheck.random([k, n], seed: 2)
        let c0 = GradientCheck.random([m, n], seed: 3)
        let saved = BLAS.threads
        defer { BLAS.threads = saved }
        BLAS.threads = 1  // without a pool, one OpenBLAS thread (a threaded OpenBLAS cuts C its own way)
        for pool in [nil, ThreadPool(threads: 2), ThreadPool(threads: 3)] {
            for beta: Float in [0, 1] {
                let want = c0.copy(), got = c0.copy()
                BLAS.gemm(a, rowsA: k, colsA: m, transA: true, b, rowsB: k, colsB: n, into: want, beta: beta, pool: pool)
                BLAS.gemm(
                    a, rowsA: k, colsA: m, transA: true, b, rowsB: k, colsB: n, into: got, beta: beta, pool: pool,
                    blockRows: 384)
                XCTAssertEqual(got.scalars, want.scalars, "beta \(beta), \(pool?.threads ?? 0) pool threads")
            }
            let added = Tensor(zeros: [m, n]), stored = Tensor(zeros: [m, n])
            stored.fill(.nan)
            for (c, beta) in [(added, Float(1)), (stored, Float(0))] {
                BLAS.gemm(
                    a, rowsA: k, colsA: m, transA: true, b, rowsB: k, colsB: n, into: c, beta: beta, pool: pool,
                    blockRows: 384)
            }
            XCTAssertEqual(
                stored.scalars.map(\.bitPattern), added.scalars.map(\.bitPattern), "\(pool?.threads ?? 0) pool threads")
            Parity.assertClose(
                added, reference(a, b, Tensor(zeros: [m, n]), m: m, k: k, n: n, transA: true, transB: false, alpha: 1, beta: 0),
                absolute: 1e-4, relative: 1e-4, "blocked product")
        }
    }
}
