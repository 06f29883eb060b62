import Foundation
import StrataCore
import XCTest

@testable import StrataMPI

final class BLASThreadPolicyTests: XCTestCase {
    func testDefaultSharesTheNodesCoresAmongItsRanks() {
        XCTAssertEqual(BLASThreadPolicy(coresPerNode: 8, ranksPerNode: 4, environment: [:]).threads, 2)
        XCTAssertEqual(BLASThreadPolicy(coresPerNode: 2, ranksPerNode: 1, environment: [:]).threads, 2)
        XCTAssertEqual(BLASThreadPolicy(coresPerNode: 2, ranksPerNode: 3, environment: [:]).threads, 1, "never below one")
        XCTAssertEqual(BLASThreadPolicy(coresPerNode: 16, ranksPerNode: 3, environment: [:]).threads, 5)
    }

    func testOverridesInOrder() {
        let env = ["STRATA_BLAS_THREADS": "3", "OPENBLAS_NUM_THREADS": "5"]
        XCTAssertEqual(BLASThreadPolicy(coresPerNode: 8, ranksPerNode: 1, environment: env, requested: 7).threads, 7)
        XCTAssertEqual(BLASThreadPolicy(coresPerNode: 8, ranksPerNode: 1, environment: env).threads, 3)
        XCTAssertEqual(BLASThreadPolicy(coresPerNode: 8, ranksPerNode: 1, environment: ["OPENBLAS_NUM_THREADS": "5"]).threads, 5)
        XCTAssertEqual(
            BLASThreadPolicy(coresPerNode: 8, ranksPerNode: 2, environment: ["OPENBLAS_NUM_THREADS": "x"]).threads, 4,
            "an unreadable value falls back to the default")
    }

    func testLaunchDetection() {
        XCTAssertFalse(MPICommunicator.launchedByMPI([:]))
        XCTAssertTrue(MPICommunicator.launchedByMPI(["OMPI_COMM_WORLD_SIZE": "2"]))
        XCTAssertTrue(MPICommunicator.launchedByMPI(["PMIX_RANK": "0"]))
        XCTAssertTrue(MPICommunicator.launchedByMPI(["PMI_RANK": "3"]))
    }

    /// Outside mpirun/srun, automatic() is SingleProcess and never initialises MPI (MPI_Init would add OMPI_ variables).
    func testAutomaticWithoutLauncherIsSingleProcessWithoutMPI() throws {
        try XCTSkipIf(MPICommunicator.launchedByMPI(ProcessInfo.processInfo.environment), "the test runs under a launcher")
        let comm = try MPICommunicator.automatic()
        XCTAssertTrue(comm is SingleProcess)
        XCTAssertFalse(ProcessInfo.processInfo.environment.keys.contains { $0.hasPrefix("OMPI_COMM_WORLD") })
    }
}
