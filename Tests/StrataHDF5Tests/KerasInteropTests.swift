import Foundation
import Strata
import TestSupport
import XCTest

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
        XCTAssertEqual((m.layers[2] as? Dense)?.activation, .hardSigmoid)  // Keras 3's relu6(x+3)/6
        XCTAssertEqual(m.optimizer?.name, "SGD")
        let worst = assertClose(try m.predict(try Fixtures.npy("hdf5", "x")), try Fixtures.npy("hdf5", "keras3_pred"), "keras3")
        print("interop keras3_mlp.h5: max |strata - keras| = \(worst)")
    }

    func testLoadsTfKerasFileWithLegacyHardSigmoid() throws {
        let m = try Sequential.load(path("tfkeras_mlp.h5"))
        XCTAssertEqual((m.layers[2] as? Dense)?.activation, .hardSigmoidLegacy)  // clip(0.2x+0.5, 0, 1)
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
            XCTAssertTrue(text.contains("UnitNormalization") && text.contains("keras3_unsupported.h5"), text)
        }
    }

    /// `loadWeights` into a model built in Swift (Keras's positional matching), and a count mismatch error.
    func testLoadWeightsByPosition() throws {
        let m = Sequential(
            [
                Dense(5, activation: .relu, inputShape: [6]), Dense(3, activation: .hardSigmoidLegacy),
                Dense(4, activation: .softmax),
            ], seed: 1)
        try m.build()
        try m.loadWeights(path("tfkeras_mlp.h5"))
        _ = assertClose(try m.predict(try Fixtures.npy("hdf5", "x")), try Fixtures.npy("hdf5", "tfkeras_pred"), "loadWeights")
        let wrong = Sequential([Dense(5, inputShape: [6]), Dense(4)], seed: 1)
        XCTAssertThrowsError(try wrong.loadWeights(path("tfkeras_mlp.h5"))) {
            XCTAssertTrue((($0 as? LocalizedError)?.errorDescription ?? "").contains("weights for 3 layers"))
        }
    }

    /// Our checksummed checkpoint, opened by Python through the `ckpt-latest.h5` link: h5py sees Fletcher32 on every
    /// non-empty dataset, Keras 3 (and tf-keras) load it and predict our numbers, and h5py itself refuses to read a
    /// weight whose chunk has one flipped bit. Skipped without a Python that has Keras.
    func testKerasReadsChecksummedCheckpointsAndH5pyRefusesDamagedOnes() throws {
        guard let python = KerasPython.withKerasAndH5py else {
            throw XCTSkip("no Python with keras (set STRATA_KERAS_PYTHON): Keras-side check skipped")
        }
        let x = try TestFiles.tensor(12, 4)
        let y = try toCategorical((0..<12).map { x[$0, 0] > 0 ? 1 : 0 }, numClasses: 2)
        let m = Sequential([Dense(5, activation: .tanh, inputShape: [4]), Dense(2, activation: .softmax)], seed: 3)
        m.compile(optimizer: Adam(learningRate: 0.01), loss: "categorical_crossentropy")
        let dir = try TestFiles.directory()
        try m.fit(x, y, batchSize: 4, epochs: 2, verbose: 0, callbacks: [ModelCheckpoint(dir + "/ckpt-{epoch:02d}.h5")])
        do { let f = try HDF5.File.create(dir + "/x.h5"); try f.write("x", x) }
        let env = ProcessInfo.processInfo.environment.merging(["TF_CPP_MIN_LOG_LEVEL": "3"]) { $1 }
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("launch/keras_check.py").path
        let (status, out) = try TestFiles.run(
            python, [script, dir + "/ckpt-latest.h5", dir + "/x.h5", "--out", dir + "/pred.h5"],
            environment: env, timeout: 300)
        XCTAssertEqual(status, 0, out)
        let ours = try m.predict(x)
        for name in ["keras3", "tf_keras"] {
            guard let theirs = try? HDF5.File.open(dir + "/pred.h5").dataset(name).readAll() else { continue }
            _ = assertClose(ours, theirs, name)
        }
        let probe = """
            import h5py, shutil, sys
            path = sys.argv[1]
            with h5py.File(path, "r") as f:
                ds = []
                f.visititems(lambda n, o: ds.append(o) if isinstance(o, h5py.Dataset) and o.size > 0 else None)
                print("datasets", len(ds), "fletcher32", sum(d.fletcher32 for d in ds))
                offset = f["model_weights/dense/dense/kernel:0"].id.get_chunk_info(0).byte_offset
            shutil.copy(path, path + ".damaged")
            b = bytearray(open(path + ".damaged", "rb").read()); b[offset + 8] ^= 1
            open(path + ".damaged", "wb").write(b)
            try:
                h5py.File(path + ".damaged", "r")["model_weights/dense/dense/kernel:0"][()]
                print("h5py read the damaged weight")
            except OSError as e:
                print("h5py refused:", e)
            """
        let (s2, o2) = try TestFiles.run(python, ["-c", probe, dir + "/ckpt-02.h5"], environment: env)
        XCTAssertEqual(s2, 0, o2)
        let counts = o2.split(separator: "\n").first { $0.hasPrefix("datasets") }?.split(separator: " ") ?? []
        XCTAssertTrue(counts.count == 4 && counts[1] == counts[3] && (Int(counts[1]) ?? 0) > 5, o2)
        XCTAssertTrue(o2.contains("h5py refused"), o2)
    }
}
