import Foundation
import TestSupport
import XCTest

/// launch/cost_model.py's logic (link fitting, bucket plan, overlap with progress only in MPI calls or on a progress
/// thread sharing the cores, ZeRO-1's gather behind the forward, the step sum) against closed forms and hand-worked
/// cases: its unit tests, launch/cost_model_test.py, run by the system Python.
final class CostModelTests: XCTestCase {
    func testCostModelUnitTests() throws {
        let python = "/usr/bin/python3"
        guard FileManager.default.isExecutableFile(atPath: python) else { throw XCTSkip("no \(python) to run launch/cost_model_test.py") }
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let test = root.appendingPathComponent("launch/cost_model_test.py").path
        let (status, output) = try KerasPython.run(
            "import runpy, sys; sys.argv = [sys.argv[1]]; runpy.run_path(sys.argv[0], run_name='__main__')", arguments: [test],
            python: python)
        XCTAssertEqual(status, 0, output)
        XCTAssertTrue(output.contains("OK"), output)
    }
}
