import Foundation
import Strata
import TestSupport
import XCTest

/// Keras `.h5` files holding issue 15's sequence layers (Bidirectional, Masking, Embedding(mask_zero),
/// RepeatVector, TimeDistributed, Permute), both ways: Strata loads the files Keras 3 wrote
/// (Tests/Fixtures/gen_rnn2.py) and predicts Keras's numbers; Python Keras loads the files Strata writes and
/// predicts Strata's numbers (skipped without a Python with Keras).
final class SequenceLayersInteropTests: XCTestCase {
    static let sets = [
        "bidir_lstm_concat_sum", "bidir_gru_mul_ave", "masking_bidir", "masking_gru_back", "mask_zero_imdb",
        "mask_zero_seq_output", "seq2seq", "permute_td", "td_conv1d", "mask_zero_gap",
    ].map { "rnn2_" + $0 }

    func kerasFile(_ set: String) -> String { Fixtures.root.appendingPathComponent("\(set)/keras.h5").path }

    func testLoadsKerasFilesAndPredicts() throws {
        for set in Self.sets {
            let m = try Sequential.load(kerasFile(set))
            let pred = try m.predict(try Fixtures.npy(set, "x"))
            let err = Parity.assertClose(
                pred, try Fixtures.npy(set, "pred"), absolute: 1e-5, relative: 1e-5, "\(set) loaded from Keras's .h5")
            print("\(set): Keras .h5 loaded, max |strata - keras| = \(err)")
        }
    }

    func testKerasLoadsStrataFilesAndPredicts() throws {
        guard let python = KerasPython.withKerasAndH5py else {
            throw XCTSkip("no Python with keras (set STRATA_KERAS_PYTHON): Keras-side check skipped")
        }
        let dir = try TestFiles.directory()
        var ours: [String: Tensor] = [:]
        for set in Self.sets {
            let m = try Sequential.load(kerasFile(set))
            let x = try Fixtures.npy(set, "x")
            try m.save(dir + "/\(set).h5")
            let f = try HDF5.File.create(dir + "/\(set)_x.h5")
            try f.write("x", x)
            ours[set] = try m.predict(x)
        }
        let script = """
            import sys, h5py, numpy as np, keras
            d = sys.argv[1]
            for s in sys.argv[2:]:
                m = keras.models.load_model(f"{d}/{s}.h5")
                with h5py.File(f"{d}/{s}_x.h5", "r") as f:
                    x = f["x"][()]
                with h5py.File(f"{d}/{s}_pred.h5", "w") as f:
                    f["pred"] = m.predict(x, verbose=0)
                print("loaded", s, [l.__class__.__name__ for l in m.layers])
            """
        let (status, out) = try KerasPython.run(script, arguments: [dir] + Self.sets, python: python)
        XCTAssertEqual(status, 0, out)
        for set in Self.sets {
            guard let theirs = try? HDF5.File.open(dir + "/\(set)_pred.h5").dataset("pred").readAll() else {
                XCTFail("Keras did not predict \(set): \(out)")
                continue
            }
            let err = Parity.assertClose(ours[set]!, theirs, absolute: 1e-5, relative: 1e-5, "\(set): Keras on Strata's .h5")
            print("\(set): Strata .h5 loaded by Keras, max |keras - strata| = \(err)")
        }
    }
}
