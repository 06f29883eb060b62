import XCTest

@testable import StrataCore

final class DenseKernelsTests: XCTestCase {
    /// z = x W, dx = dz Wᵀ and dW (+)= xᵀ dz against Double products written from the definition, over rows 1/3/17/32
    /// (every tail of the 6-row tile and of the 16-row dZᵀ panel), inner sizes that are not multiples of the forward's
    /// 128-row block or the backward's 24-row block, and units 10/256/257 (a 16-column tile's tail, masked loads).
    /// The weight gradient is checked stored and added onto what was there.
    func testKernelsMatchADoubleReference() throws {
        guard DenseKernels.isAvailable else { throw XCTSkip("this CPU has no AVX2 + FMA: Dense uses OpenBLAS") }
        let pool = ThreadPool(threads: 1)
        for (rows, inputDim) in [(1, 7), (3, 131), (17, 149), (32, 53)] {
            for units in [10, 256, 257] {
                for accumulate in [false, true] {
                    try check(rows: rows, inputDim: inputDim, units: units, accumulate: accumulate, pool: pool)
                }
            }
        }
    }

    private func check(rows m: Int, inputDim k: Int, units n: Int, accumulate: Bool, pool: ThreadPool) throws {
        let seed = UInt64(m * 1_000_003 + k * 1009 + n)
        let x = normalTensor([m, k], seed: seed), w = normalTensor([k, n], seed: seed + 1)
        let dz = normalTensor([m, n], seed: seed + 2), dw0 = normalTensor([k, n], seed: seed + 3)
        let z = Tensor(zeros: [m, n], repeating: .nan), dx = Tensor(zeros: [m, k], repeating: .nan)
        let dw = dw0.copy()
        DenseKernels.forward(x, w, into: z, rows: m, inputDim: k, units: n, pool: pool)
        DenseKernels.backward(
            x, dz, w, dx: dx, dw: dw, accumulate: accumulate, rows: m, inputDim: k, units: n, pool: pool)
        let label = "rows \(m) inputDim \(k) units \(n) accumulate \(accumulate)"
        let xs = x.scalars, ws = w.scalars, dzs = dz.scalars, dw0s = dw0.scalars
        /// |got - the sum of `count` terms| within float rounding of that many terms' magnitude.
        func expect(_ got: Float, _ count: Int, start: Double = 0, _ term: (Int) -> Double, _ what: @autoclosure () -> String) {
            var sum = start, magnitude = abs(start)
            for t in 0..<count {
                let v = term(t)
                sum += v
                magnitude += abs(v)
            }
            let tolerance = Double(count + 1) * 1.2e-7 * magnitude + 1e-30
            XCTAssertLessThanOrEqual(abs(Double(got) - sum), tolerance, "\(what()): \(label)")
        }
        let zs = z.scalars, dxs = dx.scalars, dws = dw.scalars
        for i in 0..<m {
            for j in 0..<n {
                expect(zs[i * n + j], k, { Double(xs[i * k + $0]) * Double(ws[$0 * n + j]) }, "z[\(i), \(j)]")
            }
            for kk in 0..<k {
                expect(dxs[i * k + kk], n, { Double(dzs[i * n + $0]) * Double(ws[kk * n + $0]) }, "dx[\(i), \(kk)]")
            }
        }
        for kk in 0..<k {
            for j in 0..<n {
                expect(
                    dws[kk * n + j], m, start: accumulate ? Double(dw0s[kk * n + j]) : 0,
                    { Double(xs[$0 * k + kk]) * Double(dzs[$0 * n + j]) }, "dW[\(kk), \(j)]")
            }
        }
    }

    /// 2 and 3 threads give the bits of 1 thread (forward split by column strips, backward by chunks of the kernel's
    /// rows); dx written over x (as Dense's backward may, when the model lends its buffers) equals dx apart; without
    /// a dx the weight gradient is the same.
    func testThreadedAndInPlaceMatchOneThreadBitForBit() throws {
        guard DenseKernels.isAvailable else { throw XCTSkip("this CPU has no AVX2 + FMA: Dense uses OpenBLAS") }
        let (m, k, n) = (19, 1_537, 272)
        let x = normalTensor([m, k], seed: 11), w = normalTensor([k, n], seed: 12), dz = normalTensor([m, n], seed: 13)
        func run(threads: Int, inPlace: Bool = false, withDx: Bool = true) -> (z: [UInt32], dx: [UInt32], dw: [UInt32]) {
            let pool = ThreadPool(threads: threads)
            let z = Tensor(zeros: [m, n]), dw = Tensor(zeros: [k, n])
            DenseKernels.forward(x, w, into: z, rows: m, inputDim: k, units: n, pool: pool)
            let input = x.copy()
            let dx = withDx ? (inPlace ? input : Tensor(zeros: [m, k])) : nil
            DenseKernels.backward(input, dz, w, dx: dx, dw: dw, accumulate: false, rows: m, inputDim: k, units: n, pool: pool)
            let bits = { (t: Tensor?) in t?.scalars.map(\.bitPattern) ?? [] }
            return (bits(z), bits(dx), bits(dw))
        }
        let one = run(threads: 1)
        for threads in [2, 3] {
            let many = run(threads: threads)
            XCTAssertEqual(many.z, one.z, "z at \(threads) threads")
            XCTAssertEqual(many.dx, one.dx, "dx at \(threads) threads")
            XCTAssertEqual(many.dw, one.dw, "dW at \(threads) threads")
        }
        let inPlace = run(threads: 2, inPlace: true)
        XCTAssertEqual(inPlace.dx, one.dx, "dx written over x")
        XCTAssertEqual(inPlace.dw, one.dw, "dW with dx written over x")
        XCTAssertEqual(run(threads: 2, withDx: false).dw, one.dw, "dW without dx")
    }

    /// A Dense layer that takes the kernels (32 rows against a 4100 x 256 kernel) gives OpenBLAS's forward and
    /// gradients (the same layer at 33 rows, past the shape rule, on the same rows) to float rounding.
    func testDenseLayerTakesTheKernelsAndMatchesOpenBLAS() throws {
        guard DenseKernels.isAvailable else { throw XCTSkip("this CPU has no AVX2 + FMA: Dense uses OpenBLAS") }
        XCTAssertTrue(DenseKernels.applies(rows: 32, inputDim: 4_100, units: 256))
        XCTAssertFalse(DenseKernels.applies(rows: 33, inputDim: 4_100, units: 256))
        XCTAssertFalse(DenseKernels.applies(rows: 128, inputDim: 9_216, units: 128))  // mnist_cnn's Dense
        XCTAssertFalse(DenseKernels.applies(rows: 32, inputDim: 784, units: 512))  // mnist_mlp's
        let layer = Dense(256, activation: .relu)
        let h = try LayerHarness(layer, inputShape: [4_100])
        let x33 = normalTensor([33, 4_100], seed: 21), r33 = normalTensor([33, 256], seed: 22)
        let x32 = x33.rows(0..<32).copy(), r32 = r33.rows(0..<32).copy()
        // OpenBLAS: 33 rows, with the last row's dy zero so the weight gradient is that of the first 32.
        r33.rows(32..<33).fill(0)
        let y33 = h.forward(x33).rows(0..<32).copy()
        h.parameters.gradients.fill(0)
        let dx33 = layer.backward(r33, context: h.context).rows(0..<32).copy()
        let g33 = h.parameters.gradients.copy()
        let y32 = h.forward(x32).copy()
        h.parameters.gradients.fill(0)
        let dx32 = layer.backward(r32, context: h.context).copy()
        let g32 = h.parameters.gradients.copy()
        func worst(_ a: Tensor, _ b: Tensor) -> Float {
            let av = a.scalars, bv = b.scalars
            var e: Float = 0
            for i in av.indices { e = max(e, abs(av[i] - bv[i]) / (1 + abs(bv[i]))) }
            return e
        }
        XCTAssertLessThanOrEqual(worst(y32, y33), 1e-5)
        XCTAssertLessThanOrEqual(worst(dx32, dx33), 1e-5)
        XCTAssertLessThanOrEqual(worst(g32, g33), 1e-5)
        XCTAssertGreaterThan(g32.scalars.max() ?? 0, 1)  // the gradients are not all zero
    }
}
