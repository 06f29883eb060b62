import TestSupport
import XCTest

@testable import StrataCore

/// The protocol's defaults that check their arguments: `allGatherRows(_:rowCounts:reusing:)` with counts that do not
/// match what the ranks send is an error naming the counts, never a crash.
final class CommunicatorTests: XCTestCase {
    private func message(_ body: () throws -> Void) -> String {
        do {
            try body()
            return "no error"
        } catch {
            return (error as? LocalizedError)?.errorDescription ?? "\(error)"
        }
    }

    /// On this rank, before the collective: a count per rank, this rank's the rows it sends, none negative.
    func testCountsThatDoNotFitThisRankAreAnError() {
        let comm = SingleProcess()
        let local = Tensor(zeros: [2, 3])
        var storage = TensorStorage(count: 0)
        let tooMany = message { _ = try comm.allGatherRows(local, rowCounts: [2, 3], reusing: &storage) }
        XCTAssertTrue(tooMany.contains("rowCounts has 2 counts ([2, 3]) for 1 ranks"), tooMany)
        XCTAssertTrue(tooMany.contains("pass every rank's row count in rank order"), tooMany)
        let wrong = message { _ = try comm.allGatherRows(local, rowCounts: [5], reusing: &storage) }
        XCTAssertTrue(wrong.contains("says rank 0 sends 5 rows, but it sends 2 (on rank 0 of 1)"), wrong)
        let right = try? comm.allGatherRows(local, rowCounts: [2], reusing: &storage)
        XCTAssertEqual(right?.shape, [2, 3], "counts that fit gather as before")
    }

    /// Across ranks: rank 0 passes a wrong count for rank 1 (its own is right, so both gather); the rows that arrive
    /// do not add up to its counts and rank 0 throws, naming both; rank 1, whose counts are right, gets every row.
    func testCountsThatDisagreeWithTheRowsSentAreAnError() throws {
        let results = ThreadCommunicator.run(size: 2) { comm -> [Int] in
            var storage = TensorStorage(count: 0)
            let local = Tensor(zeros: [comm.rank == 0 ? 2 : 1, 3], repeating: Float(comm.rank + 1))
            let counts = comm.rank == 0 ? [2, 3] : [2, 1]
            return try comm.allGatherRows(local, rowCounts: counts, reusing: &storage).shape
        }
        let rank0 = message { _ = try results[0].get() }
        XCTAssertTrue(rank0.contains("the ranks sent 3 rows in all but rowCounts [2, 3] adds up to 5 (on rank 0 of 2)"), rank0)
        XCTAssertEqual(try results[1].get(), [3, 3])
    }
}
