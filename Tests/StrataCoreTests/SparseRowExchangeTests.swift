import TestSupport
import XCTest

@testable import StrataCore

/// The row exchange (`SparseRowExchange`) sums an Embedding gradient over the ranks as the dense all-reduce does,
/// and from its third step on writes into the storage of the step before last (nothing allocated per step).
final class SparseRowExchangeTests: XCTestCase {
    /// Two ranks, four steps: rank r touches rows `2 (j + s) + r` of a 40-row table at step s (8 - s of them, some
    /// ids repeated), so the union shrinks step by step and fits the storage grown at the first two steps. Each step's
    /// summed table must equal `ThreadCommunicator`'s dense all-reduce of the same gradients (rank order, bit for bit),
    /// the returned rows must be the union ascending, and steps 2 and 3 must return the arrays of steps 0 and 1 while
    /// the caller still holds the previous step's rows (as the trainer's row step does). After each step the test
    /// takes blocks of the row list's size and keeps them, so an exchange that copied its list and freed the old one
    /// could not get an earlier step's address back from malloc.
    func testRowsSumAsTheDenseAllReduceInReusedStorage() throws {
        let results = ThreadCommunicator.run(size: 2) { comm -> [Int] in
            let h = try LayerHarness(Embedding(40, outputDim: 3, inputShape: [8]), inputShape: [8])
            let exchange = try XCTUnwrap(SparseRowExchange(layers: [h.layer], comm: comm, options: GradientCommunication()))
            var held: [[Int]]? = nil
            var addresses: [Int] = []
            var taken: [[Int]] = []
            for s in 0..<4 {
                let x = Tensor(zeros: [1, 8])
                for j in 0..<8 { x[flat: j] = Float(2 * (min(j, 7 - s) + s) + comm.rank) }
                _ = h.gradients(x, r: normalTensor([1, 8, 3], seed: UInt64(10 * s + comm.rank)))
                let dense = h.parameters.gradients.copy()
                try comm.allReduceSum(dense)
                let rows = try XCTUnwrap(try exchange.exchange(h.parameters.gradients, comm: comm, active: true))
                XCTAssertEqual(h.parameters.gradients.scalars.map(\.bitPattern), dense.scalars.map(\.bitPattern), "step \(s)")
                XCTAssertEqual(rows, [Array((2 * s)..<16)], "step \(s): every rank's rows, ascending")
                addresses.append(rows[0].withUnsafeBufferPointer { Int(bitPattern: $0.baseAddress) })
                held = rows
                for _ in 0..<8 { taken.append([Int](repeating: s, count: rows[0].capacity)) }
            }
            XCTAssertNotNil(held)
            XCTAssertEqual(taken.count, 32)
            return addresses
        }
        for (rank, result) in results.enumerated() {
            let a = try result.get()
            XCTAssertEqual(a[2], a[0], "rank \(rank): step 2 writes step 0's row list")
            XCTAssertEqual(a[3], a[1], "rank \(rank): step 3 writes step 1's row list")
            XCTAssertNotEqual(a[1], a[0], "rank \(rank): the list the caller holds is not overwritten")
        }
    }
}
