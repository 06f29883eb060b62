import XCTest

@testable import StrataCore

/// Conv2DTranspose and Conv1DTranspose against Keras fixtures (Tests/Fixtures/gen_conv2.py) over strides, padding
/// and output_padding, and against finite differences (including dilation, which TensorFlow's CPU kernels refuse).
final class TransposedConvolutionTests: XCTestCase {
    func testMatchesKerasForEveryPaddingStrideAndOutputPadding() throws {
        for name in [
            "conv2dtranspose_valid", "conv2dtranspose_same_stride2", "conv2dtranspose_same_output_padding",
            "conv2dtranspose_valid_output_padding", "conv2dtranspose_even_same", "conv1dtranspose_valid",
            "conv1dtranspose_same_output_padding", "conv1dtranspose_valid_stride3",
        ] {
            try checkKerasFixture(name)
        }
    }

    func testChunkedPackingGivesTheSameResult() throws {
        // One input position per chunk, and 5 (chunks that split samples).
        for budget in [1, 5 * 27] {
            try checkKerasFixture("conv2dtranspose_same_output_padding") { ($0 as! Conv2DTranspose).packingBudget = budget }
        }
    }

    func testFiniteDifferenceGradients() throws {
        let cases: [(Layer, [Int])] = [
            (Conv2DTranspose(2, kernelSize: (3, 2), strides: (2, 1), padding: .same, activation: .tanh), [3, 4, 2]),
            (Conv2DTranspose(2, kernelSize: (2, 2), dilationRate: (2, 2), useBias: false), [3, 3, 2]),
            (Conv1DTranspose(3, kernelSize: 3, strides: 2, outputPadding: 1, activation: .sigmoid), [4, 2]),
            (Conv1DTranspose(2, kernelSize: 2, padding: .same, dilationRate: 2), [5, 3]),
        ]
        for (i, (layer, shape)) in cases.enumerated() {
            let h = try LayerHarness(layer, inputShape: shape)
            let x = normalTensor([2] + shape, seed: UInt64(i))
            let r = normalTensor([2] + h.outputShape, seed: UInt64(100 + i))
            XCTAssertLessThan(h.finiteDifferenceError(x, r: r), 2e-3, "case \(i)")
        }
    }

    func testOutputShapesFollowKerasDeconvLength() throws {
        var w = WeightAllocator()
        // valid: n s + max(k - s, 0); same: n s; with output_padding: (n - 1) s + k - 2 (k / 2 if same) + op.
        XCTAssertEqual(try Conv2DTranspose(4, kernelSize: (3, 3), strides: (2, 2)).build(inputShape: [5, 4, 2], weights: &w), [11, 9, 4])
        XCTAssertEqual(
            try Conv2DTranspose(4, kernelSize: (3, 3), strides: (2, 2), padding: .same).build(inputShape: [5, 4, 2], weights: &w),
            [10, 8, 4])
        XCTAssertEqual(
            try Conv2DTranspose(1, kernelSize: (3, 3), strides: (3, 3), outputPadding: (2, 0)).build(inputShape: [2, 2, 1], weights: &w),
            [8, 6, 1])
        XCTAssertEqual(try Conv1DTranspose(2, kernelSize: 4, strides: 1, padding: .same).build(inputShape: [6, 3], weights: &w), [6, 2])
        XCTAssertEqual(w.handles.first?.shape, [3, 3, 4, 2], "kernel is (kh, kw, filters, in)")
    }

    func testBadArgumentsAreClearErrors() {
        var w = WeightAllocator()
        func message(_ body: () throws -> Any) -> String {
            do { _ = try body(); return "" } catch { return (error as? LocalizedError)?.errorDescription ?? "\(error)" }
        }
        let op = message {
            try Conv2DTranspose(2, kernelSize: (3, 3), strides: (2, 2), outputPadding: (2, 0), name: "up").build(
                inputShape: [4, 4, 1], weights: &w)
        }
        XCTAssertTrue(op.contains("up") && op.contains("output_padding 2"), op)
        let even = message {
            try Conv2DTranspose(2, kernelSize: (4, 4), strides: (2, 2), padding: .same, outputPadding: (0, 0)).build(
                inputShape: [3, 3, 1], weights: &w)
        }
        XCTAssertTrue(even.contains("does not map back"), even)
        let rank = message { try Conv1DTranspose(2, kernelSize: 3).build(inputShape: [4, 4, 1], weights: &w) }
        XCTAssertTrue(rank.contains("(steps, channels)") && rank.contains("[4, 4, 1]"), rank)
        let format = message {
            try LayerRegistry.make(className: "Conv2DTranspose", config: ["filters": 2, "kernel_size": 3, "data_format": "channels_first"])
        }
        XCTAssertTrue(format.contains("data_format"), format)
        let reg = message {
            try LayerRegistry.make(className: "Conv1DTranspose", config: ["filters": 2, "kernel_size": 3, "kernel_constraint": "radial"])
        }
        XCTAssertTrue(reg.contains("kernel_constraint") && reg.contains("radial"), reg)
    }

    func testConfigRoundTripAndGlorotFans() throws {
        let c = Conv2DTranspose(8, kernelSize: (3, 1), strides: (2, 1), padding: .same, outputPadding: (1, 0), activation: .relu)
        let again = try LayerRegistry.make(className: "Conv2DTranspose", config: c.config) as! Conv2DTranspose
        XCTAssertEqual(again.config, c.config)
        XCTAssertEqual(c.config["output_padding"], [1, 0])
        XCTAssertEqual(Conv1DTranspose(2, kernelSize: 3).config["output_padding"], .null)
        // fan_in = 3*3*16 (filters), fan_out = 3*3*4 (input channels): limit sqrt(6 / 180).
        let h = try LayerHarness(Conv2DTranspose(16, kernelSize: (3, 3)), inputShape: [5, 5, 4])
        let m = h.parameters.value(h.layer.weightHandles[0]).scalars.map(abs).max()!
        XCTAssertLessThanOrEqual(m, Float((6.0 / 180.0).squareRoot()))
        XCTAssertGreaterThan(m, 0.98 * Float((6.0 / 180.0).squareRoot()))
    }
}
