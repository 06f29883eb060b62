import StrataCore
import TestSupport
import XCTest

/// DESIGN.md's contract 1 for masked sequence models: padded id sequences through Embedding(maskZero: true), a
/// Bidirectional LSTM with dropout and a GlobalAveragePooling1D-free head end with the 1-rank weights on 2 and 3
/// ranks (uneven shards and a short last batch included): the mask is per sample, so sharding cannot change it.
final class MaskedDistributedTests: XCTestCase {
    private func train(_ comm: Communicator?) throws -> [Float] {
        let d = RandomData(seed: 15)
        let ids = d.integers(9, count: 13 * 6).map { Float($0) }
        let x = try Tensor(shape: [13, 6], scalars: ids)
        for r in 0..<13 { for t in 0..<(r % 4) { x[flat: r * 6 + 5 - t] = 0 } }  // right padding of 0...3 steps
        let y = try toCategorical(d.integers(2, count: 13), numClasses: 2)
        let m = Sequential(
            [
                Embedding(9, outputDim: 4, maskZero: true, inputShape: [6]),
                Bidirectional(LSTM(3, dropout: 0.2, returnSequences: true), mergeMode: .concat),
                Bidirectional(GRU(3), mergeMode: .ave), Dense(2, activation: .softmax),
            ], seed: 3)
        m.compile(optimizer: Adam(learningRate: 0.01), loss: "categorical_crossentropy")
        try m.fit(x, y, batchSize: 5, epochs: 3, verbose: 0, communicator: comm)
        return m.getWeights().flatMap(\.scalars)
    }

    func testMaskedBidirectionalMatchesOneRank() throws {
        let one = try train(nil)
        let scale = one.map { abs($0) }.max()!
        for p in [2, 3] {
            for (r, result) in ThreadCommunicator.run(size: p, { try self.train($0) }).enumerated() {
                let w = try result.get()
                let diff = zip(w, one).map { abs($0 - $1) }.max()!
                print("masked Bidirectional: \(p) ranks, rank \(r): max |w - w_1rank| / max|w| = \(diff / scale)")
                XCTAssertLessThan(diff / scale, 1e-5, "\(p) ranks, rank \(r) differs from 1 rank by \(diff)")
            }
        }
    }
}
