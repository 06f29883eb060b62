import StrataCore
import TestSupport
import XCTest

/// DESIGN.md's contract 1: same seed, same data -> a p-rank run ends with the 1-rank run's weights (to float
/// summation tolerance), with dropout, shuffling, a short last batch and shards of unequal or zero size.
final class DistributedTrainerTests: XCTestCase {
    private func train(_ comm: Communicator?) throws -> ([Float], [Double]) {
        let d = RandomData(seed: 21)
        let x = d.uniform([23, 5]), y = try toCategorical(d.integers(3, count: 23), numClasses: 3)
        let m = Sequential([Dense(6, activation: .relu, inputDim: 5), Dropout(0.3), Dense(3, activation: .softmax)], seed: 13)
        m.compile(optimizer: Adam(learningRate: 0.01), loss: "categorical_crossentropy", metrics: ["accuracy"])
        let h = try m.fit(x, y, batchSize: 5, epochs: 3, verbose: 0, validationSplit: 0.2, communicator: comm)
        return (m.getWeights().flatMap(\.scalars), h["loss"]! + h["val_loss"]! + h["accuracy"]!)
    }

    func testTwoAndThreeRanksMatchOne() throws {
        let (w1, logs1) = try train(nil)
        // 3 ranks over batches of 5 (shards 1/2/2) and over the last batch of 3 (1/1/1); 2 ranks: 2/3 and 1/2.
        for p in [2, 3] {
            let results = ThreadCommunicator.run(size: p) { comm in try self.train(comm) }
            for (r, result) in results.enumerated() {
                let (w, logs) = try result.get()
                XCTAssertEqual(w.count, w1.count)
                let diff = zip(w, w1).map { abs($0 - $1) }.max()!
                XCTAssertLessThan(diff, 1e-5, "\(p) ranks, rank \(r): weights differ from 1 rank by \(diff)")
                for (a, b) in zip(logs, logs1) { XCTAssertEqual(a, b, accuracy: 1e-5, "\(p) ranks, rank \(r): logs") }
            }
        }
    }

    /// Contract 1 for the conv and recurrent families: a small conv net (Conv2D, pooling, Dropout, Conv1D-free) and
    /// a stacked LSTM with dropout end with the 1-rank weights on 2 and 3 ranks.
    func testConvAndLSTMModelsMatchOneRank() throws {
        func conv(_ comm: Communicator?) throws -> [Float] {
            let d = RandomData(seed: 5)
            let x = d.uniform([13, 6, 6, 2]), y = try toCategorical(d.integers(3, count: 13), numClasses: 3)
            let m = Sequential(
                [
                    Conv2D(4, kernelSize: (3, 3), activation: .relu, inputShape: [6, 6, 2]),
                    MaxPooling2D(poolSize: (2, 2)), Dropout(0.25), Flatten(),
                    Dense(3, activation: .softmax),
                ], seed: 4)
            m.compile(optimizer: SGD(lr: 0.05, momentum: 0.9, nesterov: true), loss: "categorical_crossentropy")
            try m.fit(x, y, batchSize: 4, epochs: 3, verbose: 0, communicator: comm)
            return m.getWeights().flatMap(\.scalars)
        }
        func lstm(_ comm: Communicator?) throws -> [Float] {
            let d = RandomData(seed: 6)
            let x = d.uniform([11, 4, 3]), y = d.uniform([11, 2])
            let m = Sequential(
                [
                    LSTM(5, dropout: 0.2, returnSequences: true, inputShape: [4, 3]), LSTM(4),
                    Dense(2, activation: .softmax),
                ], seed: 8)
            m.compile(optimizer: "rmsprop", loss: "categorical_crossentropy")
            try m.fit(x, y, batchSize: 4, epochs: 3, verbose: 0, communicator: comm)
            return m.getWeights().flatMap(\.scalars)
        }
        for (name, run) in [("conv", conv), ("lstm", lstm)] as [(String, (Communicator?) throws -> [Float])] {
            let one = try run(nil)
            let scale = one.map { abs($0) }.max()!
            for p in [2, 3] {
                for (r, result) in ThreadCommunicator.run(size: p, { try run($0) }).enumerated() {
                    let w = try result.get()
                    let diff = zip(w, one).map { abs($0 - $1) }.max()!
                    XCTAssertLessThan(diff / scale, 1e-5, "\(name): \(p) ranks, rank \(r) differs from 1 rank by \(diff)")
                }
            }
        }
    }

    /// A callback that stops training from one rank's own information (here: only rank 1 asks, at batch 2) stops
    /// every rank after the same batch, with the same weights: no rank is left waiting in a collective.
    func testStopAskedByOneRankStopsAllAtTheSameBatch() throws {
        final class StopOnRankOne: Callback {
            func onBatchEnd(_ batch: Int, logs: [String: Double], model: Sequential) throws {
                if model.communicator.rank == 1 && batch == 2 { model.stopTraining = true }
            }
        }
        let results = ThreadCommunicator.run(size: 2) { comm -> ([Float], Int) in
            let d = RandomData(seed: 3)
            let m = Sequential([Dense(2, activation: .softmax, inputDim: 3)], seed: 1)
            m.compile(optimizer: "sgd", loss: "categorical_crossentropy")
            try m.fit(
                d.uniform([40, 3]), toCategorical(d.integers(2, count: 40), numClasses: 2), batchSize: 4,
                epochs: 2, verbose: 0, callbacks: [StopOnRankOne()], communicator: comm)
            return (m.getWeights().flatMap(\.scalars), m.optimizerState!.iterations)
        }
        let r0 = try results[0].get(), r1 = try results[1].get()
        XCTAssertEqual(r0.1, 3, "batches 0, 1 and 2 are applied, then both ranks stop")
        XCTAssertEqual(r1.1, 3)
        XCTAssertEqual(r0.0, r1.0)
    }

    /// More ranks than rows in a batch: a rank with no rows still joins every all-reduce.
    func testRankWithNoRows() throws {
        func run(_ comm: Communicator?) throws -> [Float] {
            let x = try Tensor([[0, 1], [1, 0], [1, 1]]), y = try Tensor(shape: [3, 1], scalars: [1, 1, 0])
            let m = Sequential([Dense(3, activation: .tanh, inputDim: 2), Dense(1, activation: .sigmoid)], seed: 2)
            m.compile(optimizer: "sgd", loss: "binary_crossentropy")
            try m.fit(x, y, batchSize: 2, epochs: 2, verbose: 0, shuffle: false, communicator: comm)
            return m.getWeights().flatMap(\.scalars)
        }
        let one = try run(nil)
        for result in ThreadCommunicator.run(size: 3, { try run($0) }) {
            let w = try result.get()
            XCTAssertLessThan(zip(w, one).map { abs($0 - $1) }.max()!, 1e-6)
        }
    }

    /// An error on one rank (here: only rank 1's data has a NaN) is one error on every rank, naming the rank.
    func testErrorOnOneRankReachesAll() throws {
        let results = ThreadCommunicator.run(size: 2) { comm -> Int in
            let x = try Tensor([[0, 1], [1, 0], [1, 1], [0, 0]])
            if comm.rank == 1 { x[2, 0] = .nan }
            let m = Sequential([Dense(1, inputDim: 2)], seed: 2)
            m.compile(optimizer: "sgd", loss: "mse")
            try m.fit(x, Tensor(zeros: [4, 1]), batchSize: 2, epochs: 1, verbose: 0, communicator: comm)
            return 0
        }
        for (r, result) in results.enumerated() {
            XCTAssertThrowsError(try result.get(), "rank \(r)") { e in
                let text = e.localizedDescription
                XCTAssertTrue(text.contains("non-finite") || text.contains("rank 1"), "rank \(r): \(text)")
            }
        }
    }
}
