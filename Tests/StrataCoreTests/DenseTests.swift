import StrataCore
import TestSupport
import XCTest

final class DenseTests: XCTestCase {
    func testGradientsLinear() throws {
        try GradientCheck.check(layer: Dense(3), inputShape: [4], batch: 3)
    }

    func testGradientsEveryActivation() throws {
        for f in ActivationFunction.allCases {
            // Inputs scaled so pre-activations stay clear of the relu / hard_sigmoid kinks at the seeds used.
            let r = try GradientCheck.check(layer: Dense(3, activation: f), inputShape: [4], batch: 2, seed: 11)
            XCTAssertLessThan(r.maxError, 1e-2, "\(f)")
        }
    }

    func testGradientsWithoutBiasOnRank3Input() throws {
        let d = Dense(2, useBias: false)
        let r = try GradientCheck.check(layer: d, inputShape: [3, 4], batch: 2)
        XCTAssertEqual(r.errors.map(\.name), ["input", "kernel"])
    }

    func testWithoutInputGradientTheWeightGradientsAreUnchanged() throws {
        let layer = Dense(3, activation: .tanh)
        let h = try LayerHarness(layer, inputShape: [4])
        let x = normalTensor([2, 4], seed: 1), r = normalTensor([2, 3], seed: 2)
        XCTAssertEqual(h.gradients(x, r: r).count, x.count)
        let full = h.parameters.gradients.copy()
        h.parameters.gradients.fill(0)
        _ = h.forward(x)
        var context = h.context
        context.needsInputGradient = false
        XCTAssertEqual(layer.backward(r, context: context).count, 0)
        XCTAssertEqual(h.parameters.gradients.scalars, full.scalars)
    }

    /// With `overwritesWeightGradients` (the trainer skipped clearing the kernel's gradient) backward stores the
    /// kernel gradient over whatever was there — NaNs here — bit for bit what adding onto cleared gradients gives,
    /// on a kernel of several row blocks (`Dense.gradientBlockRows`); the bias gradient still adds.
    func testStoredKernelGradientIsBitForBitTheAddedOne() throws {
        let layer = Dense(256, activation: .relu)
        let h = try LayerHarness(layer, inputShape: [900])
        let x = normalTensor([5, 900], seed: 1), r = normalTensor([5, 256], seed: 2)
        let kernel = layer.overwrittenGradients[0]
        XCTAssertEqual(layer.overwrittenGradients.map(\.name), [layer.weightHandles[0].name])
        XCTAssertGreaterThan(kernel.shape[0], 384)  // Dense.gradientBlockRows(units: 256)
        _ = h.forward(x)
        h.parameters.gradients.fill(0)
        let dxAdded = layer.backward(r, context: h.context).copy()
        let added = h.parameters.gradients.copy()
        h.parameters.gradient(kernel).fill(.nan)
        h.parameters.gradients.rows(kernel.count..<h.parameters.count).fill(0)
        var context = h.context
        context.overwritesWeightGradients = true
        let dxStored = layer.backward(r, context: context)
        XCTAssertEqual(h.parameters.gradients.scalars.map(\.bitPattern), added.scalars.map(\.bitPattern))
        XCTAssertEqual(dxStored.scalars, dxAdded.scalars)
        // Without the flag it adds: a second backward doubles the kernel gradient.
        _ = layer.backward(r, context: h.context)
        XCTAssertEqual(h.parameters.gradient(kernel).scalars, added.rows(0..<kernel.count).scalars.map { $0 + $0 })
    }
}

extension DenseTests {
    /// Dense(5, relu) -> Dense(3, softmax) and Dense(2, tanh) on a rank-3 input, against Keras's predict.
    func testForwardMatchesKeras() throws {
        for (set, shape) in [("core_dense", [4]), ("core_dense_rank3", [3, 4])] {
            let model = try KerasFixtureModel.make(set, inputShape: shape, weightsPrefix: "w")
            let y = try model.predict(try Fixtures.npy(set, "x"))
            let r = Parity.assertForward(y, try Fixtures.npy(set, "y"), set)
            print("PARITY \(set) forward (max error / tolerance): \(String(format: "%.3f", r))")
        }
    }
}
