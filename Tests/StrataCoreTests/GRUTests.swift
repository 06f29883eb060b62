import TestSupport
import XCTest

@testable import StrataCore

final class GRUTests: XCTestCase {
    func testMatchesKerasForwardAndGradients() throws {
        try checkCellFixture("rnn_gru") { GRU(4, returnSequences: $0, goBackwards: $1) }
    }

    func testFiniteDifferencesThroughTimeWithDropout() throws {
        let data = RandomData(seed: 4)
        let x = data.uniform([3, 4, 2])
        let w = data.uniform([3, 3])
        let h = try RecurrentHarness(GRU(3, dropout: 0.3, recurrentDropout: 0.4), inputShape: [4, 2])
        for i in 0..<3 {  // non-zero biases so both bias rows matter
            let v = h.value(i)
            for k in 0..<v.count { v[flat: k] = 0.6 * (data.uniform([1])[flat: 0] - 0.5) }
        }
        checkFiniteDifferences(h, x: x, w: w, training: true)
    }

    func testKerasLayoutAndStatefulState() throws {
        let h = try RecurrentHarness(GRU(3, stateful: true), inputShape: [4, 2])
        XCTAssertEqual(h.parameters.handles.map(\.shape), [[2, 9], [3, 9], [2, 9]])
        let layer = h.layer as! GRU
        let x = RandomData(seed: 2).uniform([2, 4, 2])
        let first = h.forward(x)
        XCTAssertEqual(layer.states.count, 1)
        XCTAssertEqual(layer.states[0].scalars, first.scalars)  // the state is the last h
        XCTAssertNotEqual(h.forward(x).scalars, first.scalars)  // carried into the next batch
        layer.resetStates()
        XCTAssertEqual(h.forward(x).scalars, first.scalars)
    }

    func testResetAfterFalseIsAnError() {
        XCTAssertThrowsError(try LayerRegistry.make(className: "GRU", config: ["units": 3, "reset_after": false])) { e in
            XCTAssertTrue((e as? StrataError)?.errorDescription?.contains("reset_after") == true)
        }
        XCTAssertNoThrow(try LayerRegistry.make(className: "GRU", config: ["units": 3, "reset_after": true]))
    }
}
