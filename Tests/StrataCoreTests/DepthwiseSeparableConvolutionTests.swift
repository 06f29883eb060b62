import XCTest

@testable import StrataCore

/// DepthwiseConv2D, SeparableConv2D and SeparableConv1D against Keras fixtures (Tests/Fixtures/gen_conv2.py) and
/// finite differences.
final class DepthwiseSeparableConvolutionTests: XCTestCase {
    func testMatchesKerasForEveryPaddingStrideAndDilation() throws {
        for name in [
            "depthwise2d_valid", "depthwise2d_same_stride2", "depthwise2d_dilated", "separable2d_valid",
            "separable2d_same_stride", "separable2d_dilated", "separable1d_valid", "separable1d_same_stride2",
        ] {
            try checkKerasFixture(name)
        }
    }

    func testFiniteDifferenceGradients() throws {
        let cases: [(Layer, [Int])] = [
            (DepthwiseConv2D(kernelSize: (3, 2), strides: (2, 1), padding: .same, depthMultiplier: 3, activation: .tanh), [5, 4, 2]),
            (
                SeparableConv2D(3, kernelSize: (2, 2), padding: .same, depthMultiplier: 2, dilationRate: (2, 1), activation: .sigmoid),
                [4, 5, 2]
            ),
            (SeparableConv1D(2, kernelSize: 3, strides: 2, useBias: false), [7, 3]),
        ]
        for (i, (layer, shape)) in cases.enumerated() {
            let h = try LayerHarness(layer, inputShape: shape)
            let x = normalTensor([2] + shape, seed: UInt64(i))
            let r = normalTensor([2] + h.outputShape, seed: UInt64(100 + i))
            XCTAssertLessThan(h.finiteDifferenceError(x, r: r), 2e-3, "case \(i)")
        }
    }

    func testWeightsAndParameterCountsAreKeras() throws {
        var w = WeightAllocator()
        _ = try SeparableConv2D(16, kernelSize: (3, 3), depthMultiplier: 2).build(inputShape: [8, 8, 3], weights: &w)
        XCTAssertEqual(w.handles.map(\.name), ["depthwise_kernel", "pointwise_kernel", "bias"])
        XCTAssertEqual(w.handles.map(\.shape), [[3, 3, 3, 2], [1, 1, 6, 16], [16]])
        XCTAssertEqual(w.total, 3 * 3 * 3 * 2 + 6 * 16 + 16)  // Keras summary: 166
        var d = WeightAllocator()
        XCTAssertEqual(try DepthwiseConv2D(kernelSize: (3, 3), depthMultiplier: 2).build(inputShape: [8, 8, 3], weights: &d), [6, 6, 6])
        XCTAssertEqual(d.handles.map(\.shape), [[3, 3, 3, 2], [6]])
        var s = WeightAllocator()
        _ = try SeparableConv1D(4, kernelSize: 5).build(inputShape: [20, 3], weights: &s)
        XCTAssertEqual(s.handles.map(\.shape), [[5, 3, 1], [1, 3, 4], [4]])
    }

    func testConfigRoundTripAndErrors() throws {
        let c = SeparableConv2D(8, kernelSize: (3, 3), strides: (2, 2), padding: .same, depthMultiplier: 2, activation: .relu)
        let again = try LayerRegistry.make(className: "SeparableConv2D", config: c.config) as! SeparableConv2D
        XCTAssertEqual(again.config, c.config)
        let d = DepthwiseConv2D(kernelSize: (3, 3), depthMultiplier: 4)
        XCTAssertEqual((try LayerRegistry.make(className: "DepthwiseConv2D", config: d.config)).config, d.config)
        XCTAssertThrowsError(
            try LayerRegistry.make(className: "DepthwiseConv2D", config: ["kernel_size": 3, "pointwise_regularizer": "l2"])
        ) { XCTAssertTrue(($0 as? LocalizedError)?.errorDescription?.contains("pointwise_regularizer") ?? false) }
        var w = WeightAllocator()
        XCTAssertThrowsError(try SeparableConv1D(2, kernelSize: 3, padding: .causal, name: "sep").build(inputShape: [6, 2], weights: &w)) {
            XCTAssertTrue(($0 as? LocalizedError)?.errorDescription?.contains("causal") ?? false)
        }
        XCTAssertThrowsError(try DepthwiseConv2D(kernelSize: (2, 2), depthMultiplier: 0).build(inputShape: [4, 4, 2], weights: &w))
    }
}
