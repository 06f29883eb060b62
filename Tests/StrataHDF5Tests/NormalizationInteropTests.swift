import Foundation
import Strata
import TestSupport
import XCTest

/// BatchNormalization and LayerNormalization through Keras `.h5` files, both ways: files written by Keras 3 and
/// tf-keras (Tests/Fixtures/gen_norm.py, set `norm_h5`, models trained 2 epochs so the moving statistics are
/// real) load and predict Keras's numbers; a model trained here opens in Python Keras, which predicts ours.
final class NormalizationInteropTests: XCTestCase {
    func testLoadsKerasFilesHoldingBatchAndLayerNormalization() throws {
        let x = try Fixtures.npy("norm_h5", "x")
        for tag in ["keras3", "tfkeras"] {
            let m = try Sequential.load(Fixtures.root.appendingPathComponent("norm_h5/\(tag)_norm.h5").path)
            XCTAssertEqual(
                m.layers.map(\.className),
                ["Conv2D", "BatchNormalization", "Activation", "Flatten", "Dense", "LayerNormalization", "BatchNormalization", "Dense"])
            XCTAssertEqual(
                m.parameters!.handles.filter { !$0.trainable }.map(\.name),
                ["moving_mean", "moving_variance", "moving_mean", "moving_variance"])
            let worst = Parity.assertClose(
                try m.predict(x), try Fixtures.npy("norm_h5", "\(tag)_pred"), absolute: 1e-6, relative: 1e-5, tag)
            print("interop \(tag)_norm.h5: max |strata - keras| = \(worst)")
        }
    }

    func testKerasLoadsOursAndPredictsTheSame() throws {
        guard let python = KerasPython.withKerasAndH5py else {
            throw XCTSkip("no Python with keras (set STRATA_KERAS_PYTHON): Keras-side check skipped")
        }
        let d = RandomData(seed: 9)
        let x = d.uniform([10, 5, 5, 2]), y = try toCategorical(d.integers(3, count: 10), numClasses: 3)
        let m = Sequential(
            [
                Conv2D(3, kernelSize: (2, 2), inputShape: [5, 5, 2]), BatchNormalization(momentum: 0.6), Activation(.relu),
                Flatten(), Dense(4), LayerNormalization(axis: [-1], rmsScaling: false), BatchNormalization(axis: 1, scale: false),
                Dense(3, activation: .softmax),
            ], seed: 2)
        m.compile(optimizer: "adam", loss: "categorical_crossentropy")
        try m.fit(x, y, batchSize: 4, epochs: 2, verbose: 0)
        let dir = try TestFiles.directory()
        try m.save(dir + "/norm.h5")
        do { let f = try HDF5.File.create(dir + "/x.h5"); try f.write("x", x) }
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("launch/keras_check.py").path
        let env = ProcessInfo.processInfo.environment.merging(["TF_CPP_MIN_LOG_LEVEL": "3"]) { $1 }
        let (status, out) = try TestFiles.run(
            python, [script, dir + "/norm.h5", dir + "/x.h5", "--out", dir + "/pred.h5"], environment: env, timeout: 300)
        XCTAssertEqual(status, 0, out)
        let ours = try m.predict(x)
        for name in ["keras3", "tf_keras"] {
            guard let theirs = try? HDF5.File.open(dir + "/pred.h5").dataset(name).readAll() else {
                XCTAssertNotEqual(name, "keras3", "Keras 3 wrote no predictions: \(out)")
                continue
            }
            let worst = Parity.assertClose(ours, theirs, absolute: 1e-6, relative: 1e-5, name)
            print("interop: \(name) predicts our BN/LN model within \(worst)")
        }
    }
}
