import StrataCore
import TestSupport
import XCTest

/// The gradient-traffic settings change when bytes travel, never the result: with `ThreadCommunicator` (sums in rank
/// order, as every setting's pieces are) bucketed, row-sparse and one-buffer runs end bit for bit equal on 2 and 3
/// ranks, and the row-sparse run stays within float tolerance of the 1-rank run.
final class GradientCommunicationTests: XCTestCase {
    /// A conv net with SGD + momentum and Embedding nets with RMSprop (row-sparse updates) and Adam (dense
    /// updates); 200 rows travel as rows, 6 rows go dense. Returns every weight and every epoch loss.
    private func train(_ comm: Communicator?, _ options: GradientCommunication) throws -> [Float] {
        let d = RandomData(seed: 3)
        let y = try toCategorical(d.integers(3, count: 17), numClasses: 3)
        let conv = Sequential(
            [
                Conv2D(3, kernelSize: (3, 3), activation: .relu, inputShape: [5, 5, 2]), Flatten(), Dropout(0.2),
                Dense(6, activation: .relu), Dense(3, activation: .softmax),
            ], seed: 2)
        conv.compile(optimizer: SGD(learningRate: 0.05, momentum: 0.9), loss: "categorical_crossentropy")
        conv.communication = options
        let h = try conv.fit(d.uniform([17, 5, 5, 2]), y, batchSize: 4, epochs: 2, verbose: 0, communicator: comm)
        var out = conv.parameters!.values.scalars + h["loss"]!.map(Float.init)
        for (vocab, opt) in [(200, RMSprop(learningRate: 0.01) as Optimizer), (200, Adam(learningRate: 0.01)), (6, RMSprop())] {
            let m = Sequential([Embedding(vocab, outputDim: 3, inputLength: 4), Flatten(), Dense(3, activation: .softmax)], seed: 7)
            m.compile(optimizer: opt, loss: "categorical_crossentropy")
            m.communication = options
            let he = try m.fit(d.integerTensor(vocab, shape: [17, 4]), y, batchSize: 4, epochs: 2, verbose: 0, communicator: comm)
            out += m.parameters!.values.scalars + he["loss"]!.map(Float.init)
        }
        return out
    }

    private let tiny = GradientCommunication(firstBucketMB: 8 / 1_048_576, bucketMB: 32 / 1_048_576)

    func testBucketsAndRowsMatchOneBufferBitForBit() throws {
        for p in [2, 3] {
            var runs: [[Float]] = []
            for options in [GradientCommunication.oneBuffer, tiny, GradientCommunication(), GradientCommunication(overlap: false)] {
                let results = ThreadCommunicator.run(size: p) { comm in try self.train(comm, options) }
                let w = try results.map { try $0.get() }
                for r in w.dropFirst() { XCTAssertEqual(r, w[0], "\(p) ranks: every rank agrees") }
                runs.append(w[0])
            }
            for (i, run) in runs.enumerated().dropFirst() {
                XCTAssertEqual(run.map(\.bitPattern), runs[0].map(\.bitPattern), "\(p) ranks, setting \(i) vs one buffer")
            }
        }
    }

    func testRowSparseTrafficMatchesOneRank() throws {
        let one = try train(nil, GradientCommunication())
        let three = try ThreadCommunicator.run(size: 3) { comm in try self.train(comm, self.tiny) }[0].get()
        XCTAssertEqual(one.count, three.count)
        let diff = zip(one, three).map { abs($0 - $1) }.max()!
        XCTAssertLessThan(diff, 1e-5, "3 ranks vs 1: max |dw| = \(diff)")
    }
}
