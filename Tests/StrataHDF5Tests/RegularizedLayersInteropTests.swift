import Foundation
import Strata
import TestSupport
import XCTest

/// Regularizers and constraints on the convolution variants and the normalization layers through `.h5` files: the
/// models of the Keras fixtures `misc_model_regularized_{conv2d,conv1d}_variants` and `..._normalization`
/// (gen_misc.py), trained by Strata and saved; Python Keras loads each file, predicts Strata's numbers within 1e-5,
/// finds every regularizer and constraint where Keras puts them, and its weight penalty (`sum(v.regularizer(v))`)
/// equals Strata's.
final class RegularizedLayersInteropTests: XCTestCase {
    func testKerasLoadsRegularizedConvVariantsAndNormalization() throws {
        guard let python = KerasPython.withKerasAndH5py else {
            throw XCTSkip("no Python with keras (set STRATA_KERAS_PYTHON): Keras-side check skipped")
        }
        let script = """
            import sys, h5py, numpy as np, keras
            model = keras.models.load_model(sys.argv[1])
            x = h5py.File(sys.argv[2], "r")["x"][()]
            weights = [v for v in model.trainable_variables]
            penalty = sum(float(v.regularizer(v)) for v in weights if v.regularizer is not None)
            with h5py.File(sys.argv[3], "w") as f:
                f["pred"] = model.predict(x, verbose=0)
                f["penalty"] = np.array([penalty])
                f["regularized"] = np.array([sum(v.regularizer is not None for v in weights)])
                f["constrained"] = np.array([sum(v.constraint is not None for v in weights)])
                f["activity"] = np.array([sum(l.activity_regularizer is not None for l in model.layers)])
            """
        let env = ProcessInfo.processInfo.environment.merging(["TF_CPP_MIN_LOG_LEVEL": "3"]) { $1 }
        for set in [
            "misc_model_regularized_conv2d_variants", "misc_model_regularized_conv1d_variants", "misc_model_regularized_normalization",
        ] {
            let m = try ModelConfig(json: try Fixtures.manifest(set)["model_config"]!, kerasVersion: "3.15.1").makeModel(seed: 1)
            let x = try Fixtures.npy(set, "x"), y = try Fixtures.npy(set, "y")
            m.compile(optimizer: SGD(learningRate: 0.1), loss: "mse")
            try m.fit(x, y, batchSize: 4, epochs: 2, verbose: 0, shuffle: false)  // weights of our own making
            let dir = try TestFiles.directory()
            try m.save(dir + "/ours.h5")
            do { let f = try HDF5.File.create(dir + "/x.h5"); try f.write("x", x) }
            let (status, out) = try TestFiles.run(
                python, ["-c", script, dir + "/ours.h5", dir + "/x.h5", dir + "/out.h5"], environment: env, timeout: 300)
            XCTAssertEqual(status, 0, out)
            let f = try HDF5.File.open(dir + "/out.h5")
            let worst = Parity.assertClose(try m.predict(x), try f.dataset("pred").readAll(), absolute: 1e-6, relative: 1e-5, set)
            let handles = m.parameters!.handles.filter(\.trainable)
            XCTAssertEqual(Int(try f.dataset("regularized").readAll()[flat: 0]), handles.filter { $0.regularizer != nil }.count, set)
            XCTAssertEqual(Int(try f.dataset("constrained").readAll()[flat: 0]), handles.filter { $0.constraint != nil }.count, set)
            let activity = m.layers.filter { ($0 as? ActivityRegularized)?.activityRegularizer != nil }.count
            XCTAssertEqual(Int(try f.dataset("activity").readAll()[flat: 0]), activity, set)
            let ours = m.parameters!.regularizationPenalty()
            let theirs = Double(try f.dataset("penalty").readAll()[flat: 0])
            XCTAssertEqual(theirs, ours, accuracy: 1e-5 * ours, set)
            print("interop Keras loads \(set): max |keras - strata| = \(worst), penalty \(theirs) (Strata \(ours))")
        }
    }
}
