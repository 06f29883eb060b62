import Foundation
import Strata
import TestSupport
import XCTest

/// Stateful RNN states in checkpoints (DESIGN.md contracts 2 and 4): a checkpoint holds the GLOBAL state tensor
/// of every stateful layer, so a resumed run continues each stream, on the same or another rank count.
final class RNNStateCheckpointTests: XCTestCase {
    static let batch = 8, samples = 32, epochs = 3

    /// All three recurrent families, stateful, with recurrent dropout (masks keyed by global sample index).
    func model() -> Sequential {
        let m = Sequential(
            [
                LSTM(4, recurrentDropout: 0.2, returnSequences: true, stateful: true, batchInputShape: [Self.batch, 5, 2]),
                GRU(3, returnSequences: true, stateful: true),
                SimpleRNN(3, stateful: true),
                Dense(1),
            ], seed: 21)
        m.compile(optimizer: Adam(learningRate: 0.02), loss: "mse")
        return m
    }

    func data() -> TensorDataset {
        let r = RandomData(seed: 4)
        let x = r.uniform([Self.samples, 5, 2])
        let y = Tensor(zeros: [Self.samples, 1])
        for i in 0..<Self.samples { y[i, 0] = x[i, 4, 0] - 0.5 * x[i, 0, 1] }
        return TensorDataset(x: x, y: y)
    }

    func states(_ m: Sequential) -> [Float] { m.layers.flatMap { $0.states.flatMap(\.scalars) } }

    func fit(_ m: Sequential, _ comm: Communicator?, checkpoints: String? = nil, resumeFrom: String? = nil) throws {
        let cbs: [Callback] = checkpoints.map { [ModelCheckpoint($0 + "/ck-{epoch}-{batch}.h5", saveFreq: .steps(1))] } ?? []
        if let resumeFrom {
            try m.fit(
                data(), batchSize: Self.batch, epochs: Self.epochs, verbose: 0, callbacks: cbs, shuffle: false,
                communicator: comm, resumeFrom: resumeFrom)
        } else {
            try m.fit(
                data(), batchSize: Self.batch, epochs: Self.epochs, verbose: 0, callbacks: cbs, shuffle: false,
                communicator: comm)
        }
    }

    func maxDifference(_ a: [Float], _ b: [Float]) -> Float {
        precondition(a.count == b.count, "\(a.count) vs \(b.count)")
        return zip(a, b).map { abs($0 - $1) }.max() ?? 0
    }

    /// One process: resumed mid-epoch (and at an epoch's last batch) ends with the weights and states of the
    /// uninterrupted run, bit for bit; without the saved states it would not (checked: the states are not zero).
    func testMidEpochResumeIsBitIdentical() throws {
        let dir = try TestFiles.directory()
        let full = model()
        try fit(full, nil, checkpoints: dir)
        for point in ["ck-2-2.h5", "ck-1-4.h5"] {
            let saved = try Checkpoint.restore(model(), from: dir + "/" + point).rnnStates
            XCTAssertEqual(saved.keys.sorted(), ["gru", "lstm", "simple_rnn"])
            XCTAssertEqual(saved["lstm"]?.map(\.shape), [[8, 4], [8, 4]])
            XCTAssertTrue(saved["lstm"]![0].scalars.contains { $0 != 0 })
            let resumed = model()
            try fit(resumed, nil, resumeFrom: dir + "/" + point)
            XCTAssertEqual(resumed.parameters!.values.scalars, full.parameters!.values.scalars, point)
            XCTAssertEqual(states(resumed), states(full), point)
        }
    }

    /// Saved by 2 ranks, resumed on 1 (and the reverse): the same end as the uninterrupted 1-process run, to
    /// float summation tolerance.
    func testStatesMoveBetweenRankCounts() throws {
        let reference = model()
        try fit(reference, nil)
        let dir2 = try TestFiles.directory(), dir1 = try TestFiles.directory()
        // Two ranks write the checkpoints (rank 0 writes the gathered global states).
        let two = ThreadCommunicator.run(size: 2) { comm -> [Float] in
            let m = self.model()
            try self.fit(m, comm, checkpoints: dir2)
            return m.parameters!.values.scalars
        }
        for r in two { XCTAssertLessThan(maxDifference(try r.get(), reference.parameters!.values.scalars), 1e-5) }
        let from2 = model()
        try fit(from2, nil, resumeFrom: dir2 + "/ck-2-2.h5")
        let d21 = maxDifference(from2.parameters!.values.scalars, reference.parameters!.values.scalars)
        let s21 = maxDifference(states(from2), states(reference))
        // One process writes; two ranks resume and each takes its half of every state.
        let one = model()
        try fit(one, nil, checkpoints: dir1)
        let resumed2 = ThreadCommunicator.run(size: 2) { comm -> ([Float], [Float]) in
            let m = self.model()
            try self.fit(m, comm, resumeFrom: dir1 + "/ck-2-2.h5")
            let global = try m.gatherStates(comm)
            return (m.parameters!.values.scalars, ["lstm", "gru", "simple_rnn"].flatMap { global[$0]!.flatMap(\.scalars) })
        }
        let (w12, s12all) = try resumed2[0].get()
        let d12 = maxDifference(w12, reference.parameters!.values.scalars)
        let s12 = maxDifference(s12all, states(reference))
        print(
            "stateful RNN checkpoints: 2 ranks -> 1: max |w - w_ref| = \(d21), states \(s21); 1 -> 2 ranks: weights \(d12), states \(s12)")
        for d in [d21, s21, d12, s12] { XCTAssertLessThan(d, 1e-5) }
    }

    /// `model.save` + `Sequential.load` keeps the states (one process: they are the global states).
    func testSaveAndLoadKeepStates() throws {
        let m = model()
        try fit(m, nil)
        let path = try TestFiles.directory() + "/stateful.h5"
        try m.save(path)
        let back = try Sequential.load(path)
        XCTAssertFalse(states(m).isEmpty)
        XCTAssertEqual(states(back), states(m))
        let x = data().x.rows(0..<Self.batch)
        XCTAssertEqual(
            try back.predict(x, batchSize: Self.batch).scalars,
            try m.predict(x, batchSize: Self.batch).scalars)
    }

    /// A checkpoint's states are for the model's fixed batch: resuming with another rank count that does not
    /// divide it is one clear error.
    func testStatesThatDoNotDivideAreAnError() throws {
        let dir = try TestFiles.directory()
        try fit(model(), nil, checkpoints: dir)
        let results = ThreadCommunicator.run(size: 3) { comm in
            try self.fit(self.model(), comm, resumeFrom: dir + "/ck-1-1.h5")
        }
        for r in results {
            XCTAssertThrowsError(try r.get()) {
                let text = ($0 as? LocalizedError)?.errorDescription ?? "\($0)"
                XCTAssertTrue(text.contains("8 streams") && text.contains("3 ranks"), text)
            }
        }
    }

    /// A model loaded with its (whole-batch) states trains on 2 ranks as on 1: each rank narrows the states to its
    /// rows. States of another row count (a 2-rank slice used on 1 process) are a clear error, not a crash.
    func testLoadedStatesContinueOnAnyRankCount() throws {
        let m = model()
        try fit(m, nil)
        let path = try TestFiles.directory() + "/stateful.h5"
        try m.save(path)
        let one = try Sequential.load(path)
        try one.fit(data(), batchSize: Self.batch, epochs: 1, verbose: 0, shuffle: false, seed: 5)
        let two = ThreadCommunicator.run(size: 2) { comm -> [Float] in
            let loaded = try Sequential.load(path)
            try loaded.fit(self.data(), batchSize: Self.batch, epochs: 1, verbose: 0, shuffle: false, seed: 5, communicator: comm)
            return loaded.parameters!.values.scalars
        }
        for r in two { XCTAssertLessThan(maxDifference(try r.get(), one.parameters!.values.scalars), 1e-5) }
        let half = try Sequential.load(path)
        let lstm = half.layers[0] as! LSTM
        try lstm.setStates(lstm.states.map { $0.rows(0..<4).copy() })
        XCTAssertThrowsError(try half.fit(data(), batchSize: Self.batch, epochs: 1, verbose: 0, shuffle: false)) {
            let text = ($0 as? LocalizedError)?.errorDescription ?? "\($0)"
            XCTAssertTrue(text.contains("'lstm' carries states for 4 streams"), text)
        }
    }
}
