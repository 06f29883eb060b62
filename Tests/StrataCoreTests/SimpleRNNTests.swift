import TestSupport
import XCTest

@testable import StrataCore

final class SimpleRNNTests: XCTestCase {
    func testMatchesKerasForwardAndGradients() throws {
        try checkCellFixture("rnn_simple") { SimpleRNN(4, returnSequences: $0, goBackwards: $1) }
    }

    func testFiniteDifferencesThroughTimeWithDropout() throws {
        let data = RandomData(seed: 5)
        let x = data.uniform([3, 5, 2])
        let w = data.uniform([3, 5, 3])
        let h = try RecurrentHarness(SimpleRNN(3, dropout: 0.2, recurrentDropout: 0.3, returnSequences: true), inputShape: [5, 2])
        checkFiniteDifferences(h, x: x, w: w, training: true)
    }

    func testDropoutMasksDependOnGlobalSampleIndexNotOnTheShard() throws {
        // Rows 2..<4 of a batch, run as a shard starting at global row 2, see the same masks as in the full batch.
        let data = RandomData(seed: 6)
        let x = data.uniform([4, 3, 2])
        let h = try RecurrentHarness(SimpleRNN(3, dropout: 0.5, recurrentDropout: 0.5, returnSequences: true), inputShape: [3, 2])
        let full = h.forward(x, training: true, step: 3)
        let shard = h.forward(x.rows(2..<4).copy(), training: true, step: 3, firstRow: 2)
        XCTAssertEqual(shard.scalars, full.rows(2..<4).scalars)
        XCTAssertNotEqual(h.forward(x, training: true, step: 4).scalars, full.scalars)  // new masks each step
        XCTAssertNotEqual(h.forward(x, training: false).scalars, full.scalars)
    }
}
