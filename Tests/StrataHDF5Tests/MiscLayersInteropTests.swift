import Foundation
import Strata
import TestSupport
import XCTest

/// Keras-written `.h5` files holding issue 15's activation, noise, Rescaling and Normalization layers, regularizers
/// and constraints (Tests/Fixtures/gen_misc.py): Strata loads them and predicts Keras's numbers within 1e-5, and
/// Keras loads the files Strata writes and predicts Strata's numbers (skipped without a Python with Keras).
final class MiscLayersInteropTests: XCTestCase {
    func path(_ name: String) -> String { Fixtures.root.appendingPathComponent("misc_h5/\(name)").path }

    func testLoadsKerasFilesAndKerasLoadsOurs() throws {
        var saved: [(String, String, Tensor)] = []
        for (file, x, pred) in [("misc_a.h5", "xa", "pred_a"), ("misc_b.h5", "xb", "pred_b")] {
            let m = try Sequential.load(path(file))
            let input = try Fixtures.npy("misc_h5", x)
            let ours = try m.predict(input)
            let worst = Parity.assertClose(ours, try Fixtures.npy("misc_h5", pred), absolute: 1e-6, relative: 1e-5, file)
            print("interop \(file): \(m.layers.map(\.className).joined(separator: ",")): max |strata - keras| = \(worst)")
            let dir = try TestFiles.directory()
            try m.save(dir + "/ours_" + file)
            do { let f = try HDF5.File.create(dir + "/x_" + file); try f.write("x", input) }
            saved.append((dir + "/ours_" + file, dir + "/x_" + file, ours))
        }
        guard let python = KerasPython.withKerasAndH5py else {
            throw XCTSkip("no Python with keras (set STRATA_KERAS_PYTHON): Keras-side check skipped")
        }
        let script = """
            import sys, h5py, numpy as np, keras
            model = keras.models.load_model(sys.argv[1])
            x = h5py.File(sys.argv[2], "r")["x"][()]
            with h5py.File(sys.argv[3], "w") as f:
                f["pred"] = model.predict(x, verbose=0)
            print([l.__class__.__name__ for l in model.layers])
            """
        let env = ProcessInfo.processInfo.environment.merging(["TF_CPP_MIN_LOG_LEVEL": "3"]) { $1 }
        for (model, x, ours) in saved {
            let (status, out) = try TestFiles.run(python, ["-c", script, model, x, model + ".pred.h5"], environment: env, timeout: 300)
            XCTAssertEqual(status, 0, out)
            let theirs = try HDF5.File.open(model + ".pred.h5").dataset("pred").readAll()
            let worst = Parity.assertClose(theirs, ours, absolute: 1e-6, relative: 1e-5, "Keras on " + model)
            print("interop Keras loads \(model): max |keras - strata| = \(worst)")
        }
    }
}
