import XCTest

@testable import StrataCore

final class Conv2DTests: XCTestCase {
    func testMatchesKerasForEveryPaddingStrideAndDilation() throws {
        for name in [
            "conv2d_valid", "conv2d_same_stride2", "conv2d_same_even_kernel", "conv2d_dilated_same",
            "conv2d_dilated_valid", "conv2d_nobias_strides",
        ] {
            try checkKerasFixture(name)
        }
    }

    func testChunkedPackingGivesTheSameResult() throws {
        // A budget of one 3x3x3 patch-row at a time, and of 5 rows (chunks that split samples).
        for budget in [27, 5 * 27] {
            try checkKerasFixture("conv2d_same_stride2") { ($0 as! Conv2D).packingBudget = budget }
        }
    }

    func testFiniteDifferenceGradients() throws {
        let cases: [(Conv2D, [Int])] = [
            (Conv2D(3, kernelSize: (3, 2), activation: .tanh), [5, 4, 2]),
            (Conv2D(2, kernelSize: (3, 3), strides: (2, 2), padding: .same), [5, 6, 3]),
            (Conv2D(2, kernelSize: (2, 2), padding: .same, dilationRate: (2, 2), useBias: false), [4, 5, 2]),
        ]
        for (i, (layer, shape)) in cases.enumerated() {
            layer.packingBudget = 40  // several chunks, so backward's repacking is exercised too
            let h = try LayerHarness(layer, inputShape: shape)
            let x = normalTensor([2] + shape, seed: UInt64(i))
            let r = normalTensor([2] + h.outputShape, seed: UInt64(100 + i))
            XCTAssertLessThan(h.finiteDifferenceError(x, r: r), 2e-3, "case \(i)")
        }
    }

    func testWithoutInputGradientTheWeightGradientsAreUnchanged() throws {
        // The model's first layer gets needsInputGradient = false: dx is skipped (empty), dK and db stay bit-equal.
        for budget in [40, 1 << 20] {
            let layer = Conv2D(3, kernelSize: (3, 2), padding: .same, activation: .relu)
            layer.packingBudget = budget
            let h = try LayerHarness(layer, inputShape: [5, 4, 2])
            let x = normalTensor([2, 5, 4, 2], seed: 1), r = normalTensor([2] + h.outputShape, seed: 2)
            let dx = h.gradients(x, r: r)
            let full = h.parameters.gradients.copy()
            h.parameters.gradients.fill(0)
            _ = h.forward(x)
            var context = h.context
            context.needsInputGradient = false
            XCTAssertEqual(layer.backward(r, context: context).count, 0, "budget \(budget)")
            XCTAssertEqual(h.parameters.gradients.scalars, full.scalars, "budget \(budget)")
            XCTAssertEqual(dx.count, x.count)
        }
    }

    func testGlorotUniformUsesKerasConvolutionFans() throws {
        // fan_in = 3*3*4, fan_out = 3*3*16: limit = sqrt(6 / (36 + 144)).
        let h = try LayerHarness(Conv2D(16, kernelSize: (3, 3)), inputShape: [8, 8, 4])
        let k = h.parameters.value(h.layer.weightHandles[0])
        XCTAssertEqual(k.shape, [3, 3, 4, 16])
        let limit = Float((6.0 / 180.0).squareRoot())
        let m = k.scalars.map(abs).max()!
        XCTAssertLessThanOrEqual(m, limit)
        XCTAssertGreaterThan(m, 0.98 * limit)
        XCTAssertEqual(h.parameters.value(h.layer.weightHandles[1]).scalars, [Float](repeating: 0, count: 16))
    }

    func testShapeErrorsNameTheLayerAndShapes() {
        var w = WeightAllocator()
        let big = Conv2D(4, kernelSize: (5, 5), name: "conv_big")
        XCTAssertThrowsError(try big.build(inputShape: [4, 8, 3], weights: &w)) { e in
            let text = (e as? StrataError)?.localizedDescription ?? ""
            XCTAssertTrue(text.contains("conv_big") && text.contains("[4, 8, 3]") && text.contains("5"), text)
        }
        XCTAssertThrowsError(try Conv2D(4, kernelSize: (3, 3), name: "c").build(inputShape: [8, 3], weights: &w)) { e in
            XCTAssertTrue((e as? StrataError)?.localizedDescription.contains("[8, 3]") ?? false)
        }
        // "same" never fails: a 5x5 kernel on a 4x8 input gives 4x8.
        XCTAssertEqual(try Conv2D(4, kernelSize: (5, 5), padding: .same).build(inputShape: [4, 8, 3], weights: &w), [4, 8, 4])
        XCTAssertThrowsError(
            try LayerRegistry.make(
                className: "Conv2D",
                config: ["filters": 2, "kernel_size": [3, 3], "data_format": "channels_first"]))
    }

    func testConfigRoundTrip() throws {
        let c = Conv2D(8, kernelSize: (3, 1), strides: (2, 1), padding: .same, activation: .relu)
        let again = try LayerRegistry.make(className: "Conv2D", config: c.config) as! Conv2D
        XCTAssertEqual(again.config, c.config)
        XCTAssertEqual(c.config["kernel_size"], [3, 1])
    }
}
