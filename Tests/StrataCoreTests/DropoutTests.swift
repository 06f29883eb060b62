import StrataCore
import TestSupport
import XCTest

final class DropoutTests: XCTestCase {
    private func run(_ d: Dropout, _ x: Tensor, training: Bool, step: Int = 0, firstRow: Int = 0) throws -> Tensor {
        var alloc = WeightAllocator()
        _ = try d.build(inputShape: Array(x.shape.dropFirst()), weights: &alloc)
        let ctx = LayerContext(training: training, parameters: Parameters(handles: [], count: 0), step: step, firstRow: firstRow, seed: 9)
        return d.forward(x, context: ctx).copy()
    }

    /// Inverted dropout (Keras): inference is the identity; in training each value is 0 or x / (1 - rate),
    /// about `rate` of them dropped.
    func testKerasSemantics() throws {
        let x = Tensor(zeros: [50, 40], repeating: 2)
        XCTAssertEqual(try run(Dropout(0.25), x, training: false).scalars, x.scalars)
        let y = try run(Dropout(0.25), x, training: true)
        XCTAssertTrue(y.scalars.allSatisfy { $0 == 0 || abs($0 - 2 / 0.75) < 1e-6 })
        let dropped = Double(y.scalars.filter { $0 == 0 }.count) / Double(y.count)
        XCTAssertEqual(dropped, 0.25, accuracy: 0.03)
        XCTAssertEqual(try run(Dropout(0), x, training: true).scalars, x.scalars)
    }

    /// The mask of a sample depends on its global position in the batch, not on which rank holds it: rows 2..<4
    /// of a 4-row batch get the same mask when computed alone with `firstRow: 2` (how rank 1 of 2 sees them).
    func testMaskIsKeyedByGlobalRow() throws {
        let x = GradientCheck.random([4, 6], seed: 2)
        let whole = try run(Dropout(0.5), x, training: true, step: 3)
        let half = try run(Dropout(0.5), x.rows(2..<4).copy(), training: true, step: 3, firstRow: 2)
        XCTAssertEqual(whole.rows(2..<4).scalars, half.scalars)
        XCTAssertNotEqual(try run(Dropout(0.5), x, training: true, step: 4).scalars, whole.scalars)
    }

    /// Masks are keyed by the global flat element index: shards starting anywhere (odd row size, odd first row)
    /// get the whole batch's mask, and each rate drops its fraction.
    func testMaskSharedDrawsAcrossOddShards() throws {
        let x = Tensor(zeros: [7, 5], repeating: 1)
        let whole = try run(Dropout(0.5), x, training: true, step: 1)
        for (lo, hi) in [(1, 4), (3, 7), (0, 1), (6, 7)] {
            let part = try run(Dropout(0.5), x.rows(lo..<hi).copy(), training: true, step: 1, firstRow: lo)
            XCTAssertEqual(whole.rows(lo..<hi).scalars, part.scalars, "rows \(lo)..<\(hi)")
        }
        let big = Tensor(zeros: [200, 101], repeating: 1)
        for rate in [0.1, 0.2, 0.5, 0.9] as [Float] {
            let y = try run(Dropout(rate), big, training: true, step: 2)
            let dropped = Double(y.scalars.filter { $0 == 0 }.count) / Double(y.count)
            XCTAssertEqual(dropped, Double(rate), accuracy: 0.01, "rate \(rate)")
        }
        XCTAssertTrue(try run(Dropout(1), x, training: true).scalars.allSatisfy { $0 == 0 })
    }

    func testGradients() throws {
        try GradientCheck.check(layer: Dropout(0.4), inputShape: [5], batch: 3, training: true)
        try GradientCheck.check(layer: Dropout(0.4), inputShape: [5], batch: 3, training: false)
    }

    func testBadRate() {
        XCTAssertThrowsError(try Sequential([Dropout(1.5, inputShape: [2])]).build()) { e in
            XCTAssertTrue(e.localizedDescription.contains("rate must be in [0, 1]"))
        }
    }

    /// Large inputs split over the run's threads (contiguous element ranges) give the one-thread masks, outputs and
    /// gradients exactly.
    func testThreadedMaskEqualsOneThread() throws {
        let x = GradientCheck.random([3, 40_001], seed: 5), dy = GradientCheck.random([3, 40_001], seed: 6)
        func run(threads: Int) throws -> [[Float]] {
            let d = Dropout(0.3)
            var alloc = WeightAllocator()
            _ = try d.build(inputShape: [40_001], weights: &alloc)
            let ctx = LayerContext(
                training: true, parameters: Parameters(handles: [], count: 0), step: 2, seed: 9, pool: ThreadPool(threads: threads))
            return [d.forward(x, context: ctx).copy().scalars, d.backward(dy, context: ctx).copy().scalars]
        }
        let one = try run(threads: 1)
        XCTAssertEqual(try run(threads: 2), one)
        XCTAssertEqual(try run(threads: 3), one)
    }

    /// The masks are a pinned stream (1 rank = N ranks, resume and thread counts depend on it): each element's flag
    /// against a scalar reference written from `Dropout.Mask`'s definition (lowbias32 twice over the global element
    /// index, keyed by (seed, layer, step)), on odd shapes and a shard starting at an odd row, and the digest of one
    /// mask as the code before the vectorised kernel drew it (FNV-1a of the flags, count of kept).
    func testMasksArePinned() throws {
        func lowbias32(_ x0: UInt32) -> UInt32 {
            var x = x0
            x ^= x >> 16; x = x &* 0x7FEB_352D; x ^= x >> 15; x = x &* 0x846C_A68B; x ^= x >> 16
            return x
        }
        for (rows, width, firstRow, layer, step, rate) in [
            (5, 1001, 3, 2, 7, Float(0.3)), (3, 7, 0, 0, 0, 0.5), (6, 20011, 1, 5, 123, 0.25), (2, 33, 11, 1, 2, 0.9),
        ] {
            let x = Tensor(zeros: [rows, width], repeating: 1)
            let d = Dropout(rate)
            var alloc = WeightAllocator()
            _ = try d.build(inputShape: [width], weights: &alloc)
            for threads in [1, 3] {
                let ctx = LayerContext(
                    training: true, parameters: Parameters(handles: [], count: 0), step: step, firstRow: firstRow,
                    seed: 9, layerIndex: layer, pool: ThreadPool(threads: threads))
                let y = d.forward(x, context: ctx).copy().scalars
                let key = CounterRandom(seed: 9, stream: 0x4452_4F50 &+ UInt64(layer)).derived(UInt64(step)).key
                let k1 = UInt32(truncatingIfNeeded: key), k2 = UInt32(truncatingIfNeeded: key >> 32)
                let threshold = UInt32((Double(rate) * 16_777_216).rounded(.up))
                var wrong: [Int] = []
                for i in 0..<y.count {
                    let e = UInt32(truncatingIfNeeded: firstRow * width + i)
                    let kept = lowbias32(lowbias32(e ^ k1) &+ k2) >> 8 >= threshold
                    if y[i] != (kept ? 1 / (1 - rate) : 0) { wrong.append(i) }
                }
                XCTAssertEqual(wrong.prefix(5), [], "\(wrong.count) wrong of \(rows)x\(width), \(threads) threads")
            }
        }
        let x = Tensor(zeros: [7, 1031], repeating: 1)
        let d = Dropout(0.4)
        var alloc = WeightAllocator()
        _ = try d.build(inputShape: [1031], weights: &alloc)
        let ctx = LayerContext(
            training: true, parameters: Parameters(handles: [], count: 0), step: 41, firstRow: 2, seed: 1234, layerIndex: 3)
        var digest: UInt64 = 0xcbf2_9ce4_8422_2325, kept = 0
        for v in d.forward(x, context: ctx).copy().scalars {
            digest = (digest ^ (v == 0 ? 0 : 1)) &* 0x100_0000_01b3
            kept += v == 0 ? 0 : 1
        }
        XCTAssertEqual(kept, 4330)
        XCTAssertEqual(digest, 6_717_081_176_296_191_367)
    }
}
