import XCTest

@testable import StrataMPI

/// How messages name a rank's host and the ranks it waits for.
final class RankHostsTests: XCTestCase {
    func testTwoRanksNameThePeerAndItsHost() {
        let h = RankHosts(["n1", "n2"])
        XCTAssertEqual(h.place(of: 0), "rank 0 of 2 on n1")
        XCTAssertEqual(h.others(than: 0), "rank 1 on n2")
        XCTAssertEqual(h.others(than: 1), "rank 0 on n1")
    }

    func testManyRanksAreGroupedByHostAsRanges() {
        let h = RankHosts(["a", "a", "b", "b", "b", "c", "a"])
        XCTAssertEqual(h.others(than: 0), "one of ranks 1-6 (on a: 1, 6, on b: 2-4, on c: 5)")
        let many = RankHosts((0..<12).map { "n\($0 / 2)" })
        XCTAssertEqual(many.others(than: 0, limit: 2), "one of ranks 1-11 (on n0: 1, on n1: 2-3, and 4 more host(s))")
    }

    func testWatchdogMessageIsOneLineNamingBothEnds() {
        let text = Watchdog.message(place: "rank 0 of 2 on n1", call: "MPI_Allreduce", waited: 3.04, timeout: 3, waitingFor: "rank 1 on n2")
        XCTAssertFalse(text.contains("\n"))
        XCTAssertTrue(
            text.hasPrefix(
                "strata: rank 0 of 2 on n1: MPI_Allreduce has waited 3.0 s for the other ranks (watchdog timeout 3 s): rank 1 on n2 has died"
            ), text)
    }
}
