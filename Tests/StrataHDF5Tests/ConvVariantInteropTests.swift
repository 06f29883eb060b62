import Foundation
import Strata
import TestSupport
import XCTest

/// Issue 15's convolution variants through Keras `.h5` files both ways: a model saved by Keras 3
/// (Tests/Fixtures/conv2_model_*/model.h5, gen_conv2.py) loads and predicts Keras's numbers, and Python Keras loads
/// the file Strata writes for it and predicts Strata's.
final class ConvVariantInteropTests: XCTestCase {
    func modelPath(_ set: String) -> String { Fixtures.root.appendingPathComponent("\(set)/model.h5").path }

    func testLoadsKerasWrittenModelsAndPredictsKerasNumbers() throws {
        for set in ["conv2_model_2d", "conv2_model_1d"] {
            let m = try Sequential.load(modelPath(set))
            let pred = try m.predict(try Fixtures.npy(set, "x"))
            let worst = Parity.assertClose(pred, try Fixtures.npy(set, "pred"), absolute: 1e-6, relative: 1e-5, set)
            print("interop \(set)/model.h5 (Keras-written): max |strata - keras| = \(worst)")
        }
    }

    func testKerasLoadsStrataWrittenModelsAndPredictsStrataNumbers() throws {
        guard let python = KerasPython.withKerasAndH5py else {
            throw XCTSkip("no Python with keras (set STRATA_KERAS_PYTHON): Keras-side check skipped")
        }
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("launch/keras_check.py").path
        let env = ProcessInfo.processInfo.environment.merging(["TF_CPP_MIN_LOG_LEVEL": "3"]) { $1 }
        for set in ["conv2_model_2d", "conv2_model_1d"] {
            let m = try Sequential.load(modelPath(set))
            let x = try Fixtures.npy(set, "x"), y = try Fixtures.npy(set, "y")
            m.compile(optimizer: SGD(learningRate: 0.1), loss: "mse")
            try m.fit(x, y, batchSize: 4, epochs: 1, verbose: 0, shuffle: false)  // weights of our own making
            let dir = try TestFiles.directory()
            try m.save(dir + "/ours.h5")
            do { let f = try HDF5.File.create(dir + "/x.h5"); try f.write("x", x) }
            let (status, out) = try TestFiles.run(
                python, [script, dir + "/ours.h5", dir + "/x.h5", "--out", dir + "/pred.h5"], environment: env, timeout: 300)
            XCTAssertEqual(status, 0, out)
            let theirs = try HDF5.File.open(dir + "/pred.h5").dataset("keras3").readAll()
            let worst = Parity.assertClose(try m.predict(x), theirs, absolute: 1e-6, relative: 1e-5, set)
            print("interop \(set) (Strata-written, Keras 3 predicts): max |strata - keras| = \(worst)")
        }
    }
}
