import Foundation
import XCTest
import Strata
import TestSupport

/// Files written by real Keras 3.15.1 and tf-keras 2.21.0 (Tests/Fixtures/gen_hdf5.py): load, predict, compare.
final class KerasInteropTests: XCTestCase {
    func path(_ name: String) -> String { Fixtures.root.appendingPathComponent("hdf5/\(name)").path }

    func assertClose(_ a: Tensor, _ b: Tensor, _ what: String) -> Float {
        XCTAssertEqual(a.shape, b.shape, what)
        return Parity.assertClose(a, b, absolute: 1e-6, relative: 1e-5, what)
    }

    func testLoadsKeras3File() throws {
        let m = try Sequential.load(path("keras3_mlp.h5"))
        XCTAssertEqual(m.layers.map(\.className), ["Dense", "Dropout", "Dense", "Dense"])
        XCTAssertEqual((m.layers[2] as? Dense)?.activation, .hardSigmoid)   // Keras 3's relu6(x+3)/6
        XCTAssertEqual(m.optimizer?.name, "SGD")
        let worst = assertClose(try m.predict(try Fixtures.npy("hdf5", "x")), try Fixtures.npy("hdf5", "keras3_pred"), "keras3")
        print("interop keras3_mlp.h5: max |strata - keras| = \(worst)")
    }

    func testLoadsTfKerasFileWithLegacyHardSigmoid() throws {
        let m = try Sequential.load(path("tfkeras_mlp.h5"))
        XCTAssertEqual((m.layers[2] as? Dense)?.activation, .hardSigmoidLegacy)   // clip(0.2x+0.5, 0, 1)
        XCTAssertEqual(m.optimizer?.name, "Adam")
        let worst = assertClose(try m.predict(try Fixtures.npy("hdf5", "x")), try Fixtures.npy("hdf5", "tfkeras_pred"), "tf-keras")
        print("interop tfkeras_mlp.h5: max |strata - tf-keras| = \(worst)")
    }

    func testLoadsKeras2DialectWithoutInputLayer() throws {
        let m = try Sequential.load(path("keras2_style.h5"))
        XCTAssertEqual(m.inputShape, [6])
        XCTAssertEqual(m.optimizer?.learningRate, 0.01)
        _ = assertClose(try m.predict(try Fixtures.npy("hdf5", "x")), try Fixtures.npy("hdf5", "tfkeras_pred"), "keras2")
    }

    func testUnsupportedLayerIsNamed() throws {
        XCTAssertThrowsError(try Sequential.load(path("keras3_unsupported.h5"))) {
            let text = ($0 as? LocalizedError)?.errorDescription ?? ""
            XCTAssertTrue(text.contains("BatchNormalization") && text.contains("keras3_unsupported.h5"), text)
        }
    }

    /// `loadWeights` into a model built in Swift (Keras's positional matching), and a count mismatch error.
    func testLoadWeightsByPosition() throws {
        let m = Sequential([Dense(5, activation: .relu, inputShape: [6]), Dense(3, activation: .hardSigmoidLegacy),
                            Dense(4, activation: .softmax)], seed: 1)
        try m.build()
        try m.loadWeights(path("tfkeras_mlp.h5"))
        _ = assertClose(try m.predict(try Fixtures.npy("hdf5", "x")), try Fixtures.npy("hdf5", "tfkeras_pred"), "loadWeights")
        let wrong = Sequential([Dense(5, inputShape: [6]), Dense(4)], seed: 1)
        XCTAssertThrowsError(try wrong.loadWeights(path("tfkeras_mlp.h5"))) {
            XCTAssertTrue((($0 as? LocalizedError)?.errorDescription ?? "").contains("weights for 3 layers"))
        }
    }
}
