import XCTest

@testable import StrataCore

/// MaxPooling1D/2D, AveragePooling1D/2D (window pooling) against Keras and finite differences.
final class PoolingTests: XCTestCase {
    func testWindowPoolingMatchesKeras() throws {
        for name in [
            "maxpool2d_valid", "maxpool2d_same", "avgpool2d_valid", "avgpool2d_same",
            "maxpool1d_valid", "maxpool1d_same", "avgpool1d_valid", "avgpool1d_same",
        ] {
            try checkKerasFixture(name)
        }
    }

    func testGlobalPoolingAndReshapeMatchKeras() throws {
        for name in ["globalavg1d", "globalmax1d", "globalavg2d", "globalmax2d", "reshape"] {
            try checkKerasFixture(name)
        }
    }

    func testFiniteDifferenceGradients() throws {
        // Random normal inputs have no ties, so max pooling is differentiable at these points.
        let cases: [(Layer, [Int])] = [
            (MaxPooling2D(poolSize: (2, 3), strides: (1, 2), padding: .same), [4, 5, 2]),
            (AveragePooling2D(poolSize: (3, 3), strides: (2, 2), padding: .same), [5, 6, 2]),
            (MaxPooling1D(poolSize: 3, strides: 2), [9, 2]),
            (AveragePooling1D(poolSize: 2, padding: .same), [7, 3]),
            (GlobalAveragePooling1D(), [5, 3]),
            (GlobalMaxPooling1D(), [5, 3]),
            (GlobalAveragePooling2D(), [3, 4, 2]),
            (GlobalMaxPooling2D(keepdims: true), [3, 4, 2]),
            (Reshape([2, -1]), [3, 4]),
        ]
        for (i, (layer, shape)) in cases.enumerated() {
            let h = try LayerHarness(layer, inputShape: shape)
            let x = normalTensor([2] + shape, seed: UInt64(30 + i))
            let r = normalTensor([2] + h.outputShape, seed: UInt64(300 + i))
            XCTAssertLessThan(h.finiteDifferenceError(x, r: r, eps: 1e-3), 2e-3, "case \(i): \(layer.className)")
        }
    }

    func testMaxPoolingAgainstABruteForceReference() throws {
        // Windows inside the input (the vectorised loop), exact tilings (the one-pass backward), a leftover row and
        // column, and ties (values rounded to a few levels, as after relu): the first maximum in scan order gets dy.
        // With 2 and 3 BLAS threads the vectorised loops split the batch: bit for bit the one-thread results.
        let cases: [(Layer, [Int], (Int, Int), (Int, Int))] = [
            (MaxPooling2D(poolSize: (2, 2)), [6, 8, 16], (2, 2), (2, 2)),
            (MaxPooling2D(poolSize: (2, 2)), [7, 9, 5], (2, 2), (2, 2)),
            (MaxPooling2D(poolSize: (3, 2), strides: (1, 2)), [5, 6, 3], (3, 2), (1, 2)),
            (MaxPooling1D(poolSize: 3), [12, 32], (1, 3), (1, 3)),
            // Overlapping windows (the byte positions scattered, sums in output order), channels off the vector width.
            (MaxPooling2D(poolSize: (2, 2), strides: (1, 1)), [5, 6, 13], (2, 2), (1, 1)),
            (MaxPooling2D(poolSize: (3, 3), strides: (2, 2)), [7, 8, 20], (3, 3), (2, 2)),
            (MaxPooling2D(poolSize: (2, 2)), [6, 4, 67], (2, 2), (2, 2)),
            // A 16 x 16 window: positions up to 255, the most a byte holds.
            (MaxPooling2D(poolSize: (16, 16)), [16, 32, 9], (16, 16), (16, 16)),
            // 17 x 16 = 272 positions: past a byte, the general loop's flat indices.
            (MaxPooling2D(poolSize: (17, 16)), [17, 16, 3], (17, 16), (17, 16)),
        ]
        let saved = BLAS.threads
        defer { BLAS.threads = saved }
        for (threads, batch) in [(1, 2), (2, 5), (3, 2), (3, 7)] {
            BLAS.threads = threads
            for (i, (layer, shape, pool, strides)) in cases.enumerated() {
                let h = try LayerHarness(layer, inputShape: shape)
                let x = normalTensor([batch] + shape, seed: UInt64(60 + i))
                for j in 0..<x.count where j % 3 == 0 { x[flat: j] = max(0, (x[flat: j] * 2).rounded()) }
                let dy = normalTensor([batch] + h.outputShape, seed: UInt64(600 + i))
                let y = h.forward(x).copy()
                let dx = layer.backward(dy, context: h.context).copy()
                let (ih, iw, c) = shape.count == 3 ? (shape[0], shape[1], shape[2]) : (1, shape[0], shape[1])
                let (oh, ow) = h.outputShape.count == 3 ? (h.outputShape[0], h.outputShape[1]) : (1, h.outputShape[0])
                let expectedDx = Tensor(zeros: x.shape)
                for n in 0..<batch {
                    for oy in 0..<oh {
                        for ox in 0..<ow {
                            for ch in 0..<c {
                                var best = -Float.infinity, at = -1
                                for ky in 0..<pool.0 {
                                    for kx in 0..<pool.1 {
                                        let k = ((n * ih + oy * strides.0 + ky) * iw + ox * strides.1 + kx) * c + ch
                                        if x[flat: k] > best { best = x[flat: k]; at = k }
                                    }
                                }
                                let o = ((n * oh + oy) * ow + ox) * c + ch
                                XCTAssertEqual(y[flat: o], best, "case \(i) output \(o)")
                                expectedDx[flat: at] += dy[flat: o]
                            }
                        }
                    }
                }
                XCTAssertEqual(dx.scalars, expectedDx.scalars, "case \(i): \(layer.className) \(shape), \(threads) threads")
            }
        }
    }

    func testGlobalMaxSplitsTiedGradientsAsTensorFlow() throws {
        let h = try LayerHarness(GlobalMaxPooling1D(), inputShape: [3, 1])
        let dx = h.gradients(try Tensor(shape: [1, 3, 1], scalars: [2, 5, 5]), r: try Tensor(shape: [1, 1], scalars: [1]))
        XCTAssertEqual(dx.scalars, [0, 0.5, 0.5])
    }

    func testShapesDefaultsAndErrors() throws {
        var w = WeightAllocator()
        // strides default to the pool size; valid drops the remainder (5x5 pool 2 -> 2x2, length 7 pool 3 -> 2).
        XCTAssertEqual(try MaxPooling2D().build(inputShape: [5, 5, 3], weights: &w), [2, 2, 3])
        XCTAssertEqual(try MaxPooling1D(poolSize: 3).build(inputShape: [7, 4], weights: &w), [2, 4])
        XCTAssertEqual(try AveragePooling2D(poolSize: (2, 2), padding: .same).build(inputShape: [5, 5, 3], weights: &w), [3, 3, 3])
        XCTAssertEqual(try GlobalAveragePooling2D().build(inputShape: [5, 5, 3], weights: &w), [3])
        XCTAssertEqual(try Reshape([-1, 4]).build(inputShape: [3, 4, 2], weights: &w), [6, 4])
        XCTAssertThrowsError(try MaxPooling2D(poolSize: (3, 3), name: "pool").build(inputShape: [2, 5, 1], weights: &w)) { e in
            let text = (e as? StrataError)?.localizedDescription ?? ""
            XCTAssertTrue(text.contains("pool") && text.contains("[2, 5, 1]"), text)
        }
        XCTAssertThrowsError(try MaxPooling1D().build(inputShape: [5, 5, 3], weights: &w))
        XCTAssertThrowsError(try GlobalAveragePooling1D().build(inputShape: [5, 5, 3], weights: &w))
        XCTAssertThrowsError(try Reshape([5, -1]).build(inputShape: [3, 4], weights: &w))
        XCTAssertThrowsError(try Reshape([-1, -1]).build(inputShape: [3, 4], weights: &w))
        XCTAssertThrowsError(try Reshape([5, 2]).build(inputShape: [3, 4], weights: &w))
    }

    func testConfigsRoundTrip() throws {
        let layers: [Layer] = [
            MaxPooling2D(poolSize: (3, 2), padding: .same), AveragePooling1D(poolSize: 4, strides: 1),
            GlobalMaxPooling2D(keepdims: true), Reshape([2, -1]),
        ]
        for l in layers {
            let again = try LayerRegistry.make(className: l.className, config: l.config)
            XCTAssertEqual(again.config, l.config, l.className)
        }
        let p = try LayerRegistry.make(className: "MaxPooling1D", config: ["pool_size": [3], "strides": .null]) as! MaxPooling1D
        XCTAssertEqual(p.strides, 3)
    }
}
