import XCTest

@testable import StrataCore

final class Conv1DTests: XCTestCase {
    func testMatchesKerasForValidSameAndCausalPadding() throws {
        for name in ["conv1d_valid", "conv1d_same_stride2", "conv1d_causal_dilated"] {
            try checkKerasFixture(name)
        }
        try checkKerasFixture("conv1d_causal_dilated") { ($0 as! Conv1D).packingBudget = 9 }
    }

    func testFiniteDifferenceGradients() throws {
        let cases: [(Conv1D, [Int])] = [
            (Conv1D(3, kernelSize: 3, activation: .tanh), [7, 2]),
            (Conv1D(2, kernelSize: 4, strides: 2, padding: .same), [9, 3]),
            (Conv1D(2, kernelSize: 2, padding: .causal, dilationRate: 3, useBias: false), [6, 2]),
        ]
        for (i, (layer, shape)) in cases.enumerated() {
            layer.packingBudget = 20
            let h = try LayerHarness(layer, inputShape: shape)
            let x = normalTensor([3] + shape, seed: UInt64(10 + i))
            let r = normalTensor([3] + h.outputShape, seed: UInt64(200 + i))
            XCTAssertLessThan(h.finiteDifferenceError(x, r: r), 2e-3, "case \(i)")
        }
    }

    func testKernelLayoutAndGlorotFans() throws {
        // fan_in = 3*100, fan_out = 3*64 (the guide's first Conv1D).
        let h = try LayerHarness(Conv1D(64, kernelSize: 3, activation: .relu, inputShape: [64, 100]), inputShape: [64, 100])
        XCTAssertEqual(h.outputShape, [62, 64])
        let k = h.parameters.value(h.layer.weightHandles[0])
        XCTAssertEqual(k.shape, [3, 100, 64])
        let limit = Float((6.0 / Double(300 + 192)).squareRoot())
        let m = k.scalars.map(abs).max()!
        XCTAssertLessThanOrEqual(m, limit)
        XCTAssertGreaterThan(m, 0.99 * limit)
    }

    func testShapeErrors() {
        var w = WeightAllocator()
        XCTAssertThrowsError(try Conv1D(4, kernelSize: 5, name: "seq_conv").build(inputShape: [3, 2], weights: &w)) { e in
            let text = (e as? StrataError)?.localizedDescription ?? ""
            XCTAssertTrue(text.contains("seq_conv") && text.contains("[3, 2]"), text)
        }
        XCTAssertThrowsError(try Conv1D(4, kernelSize: 2, name: "c").build(inputShape: [8, 8, 3], weights: &w))
        XCTAssertThrowsError(try Conv1D(4, kernelSize: 2, strides: 2, dilationRate: 2).build(inputShape: [8, 3], weights: &w))
    }
}
