import Foundation
import Strata
import TestSupport
import XCTest

/// Keras 3 validates argument types when it compiles a file (SGD refuses `"momentum": 0`: "`momentum` must be a
/// float between [0, 1]"), so a Strata checkpoint must write floats as floats. Python Keras opens one WITH compile,
/// its optimizer and Dropout get our values, and it predicts and evaluates our numbers; tf-keras loads it too.
/// Skipped without a Python that has Keras (STRATA_KERAS_PYTHON).
final class FloatConfigInteropTests: XCTestCase {
    func testKerasCompilesCheckpointWithIntegralFloatArguments() throws {
        guard let python = KerasPython.withKerasAndH5py else {
            throw XCTSkip("no Python with keras (set STRATA_KERAS_PYTHON): Keras-side check skipped")
        }
        let x = try TestFiles.tensor(8, 3)
        let y = try TestFiles.tensor(8, 2, stream: 2)
        let m = Sequential([Dense(4, activation: .tanh, inputShape: [3]), Dropout(0), Dense(2)], seed: 5)
        m.compile(optimizer: SGD(learningRate: 0.01, momentum: 0), loss: "mse")
        try m.fit(x, y, batchSize: 4, epochs: 1, verbose: 0)
        let dir = try TestFiles.directory()
        try m.save(dir + "/sgd.h5")
        do { let f = try HDF5.File.create(dir + "/x.h5"); try f.write("x", x); try f.write("y", y) }
        let script = """
            import sys, h5py, numpy as np, keras
            d = sys.argv[1]
            with h5py.File(d + "/x.h5", "r") as f: x, y = f["x"][()], f["y"][()]
            m = keras.models.load_model(d + "/sgd.h5")  # compile=True: Keras validates the optimizer's arguments
            c = m.optimizer.get_config()
            print("OPT", type(m.optimizer).__name__, repr(c["momentum"]), repr(float(c["learning_rate"])), c["nesterov"])
            print("DROPOUT", repr(m.layers[1].rate))
            print("LOSS", repr(float(m.evaluate(x, y, verbose=0))))
            with h5py.File(d + "/pred.h5", "w") as f: f["keras3"] = m.predict(x, verbose=0)
            import tf_keras
            t = tf_keras.models.load_model(d + "/sgd.h5")
            print("TFKERAS", type(t.optimizer).__name__, repr(float(t.optimizer.momentum)))
            with h5py.File(d + "/pred.h5", "a") as f: f["tf_keras"] = t.predict(x, verbose=0)
            """
        let env = ProcessInfo.processInfo.environment.merging(["TF_CPP_MIN_LOG_LEVEL": "3"]) { $1 }
        let (status, out) = try TestFiles.run(python, ["-c", script, dir], environment: env, timeout: 300)
        XCTAssertEqual(status, 0, out)
        XCTAssertTrue(out.contains("OPT SGD 0.0 0.009999999776482582 False"), out)
        XCTAssertTrue(out.contains("DROPOUT 0.0"), out)
        XCTAssertTrue(out.contains("TFKERAS SGD 0.0"), out)
        let line = out.split(separator: "\n").first { $0.hasPrefix("LOSS ") }
        let theirLoss = try XCTUnwrap(line.flatMap { Double($0.dropFirst(5)) }, out)
        let ourLoss = try XCTUnwrap(m.evaluate(x, y, verbose: 0).first)
        XCTAssertEqual(ourLoss, theirLoss, accuracy: 1e-5)
        let ours = try m.predict(x)
        let file = try HDF5.File.open(dir + "/pred.h5")
        for name in ["keras3", "tf_keras"] {
            let theirs = try file.dataset(name).readAll()
            XCTAssertEqual(theirs.shape, ours.shape, name)
            for (a, b) in zip(ours.scalars, theirs.scalars) { XCTAssertEqual(a, b, accuracy: 1e-5, name) }
        }
    }
}
