import Foundation
import TestSupport
import XCTest

/// `strata-bench prepare CONFIG DIR` (what launch/bench and launch/bench-mpi run first) creates DIR when it is missing,
/// instead of failing in HDF5 with "unable to create file".
final class StrataBenchPrepareTests: XCTestCase {
    func testPrepareCreatesItsOutputDirectory() throws {
        let dir = try MPIJob.scratch("bench-prepare").appendingPathComponent("not/yet/there")
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir.path))
        let config = MPIJob.launchDirectory.deletingLastPathComponent().appendingPathComponent("configs/mlp_softmax.yaml").path
        let r = try MPIJob.launch(
            [BuildProducts.executable("strata-bench"), "prepare", config, dir.path, "--train", "64"], timeout: 60)
        XCTAssertEqual(r.status, 0, r.output)
        let model = try JSONSerialization.jsonObject(with: Data(contentsOf: dir.appendingPathComponent("model.json"))) as? [String: Any]
        XCTAssertEqual(model?["train_samples"] as? Int, 64)
        XCTAssertTrue(FileManager.default.fileExists(atPath: dir.appendingPathComponent("data.h5").path))
    }
}
