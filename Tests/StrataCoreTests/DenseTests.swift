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
