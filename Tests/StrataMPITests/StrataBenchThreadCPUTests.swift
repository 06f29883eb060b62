import Foundation
import TestSupport
import XCTest

/// strata-bench's `thread_cpu` (what launch/cost_model.py charges a gradient path in CPU): one count per step after
/// the first epoch, the progress thread's CPU apart from the compute thread's, and no thread or collective credited
/// more CPU than the wall time it had.
final class StrataBenchThreadCPUTests: XCTestCase {
    private func bench(_ ranks: Int, _ dir: URL, _ sets: [String]) throws -> [String: Any] {
        let config = MPIJob.launchDirectory.deletingLastPathComponent().appendingPathComponent("configs/mnist_mlp.yaml").path
        let exe = BuildProducts.executable("strata-bench")
        if !FileManager.default.fileExists(atPath: dir.appendingPathComponent("data.h5").path) {
            let r = try MPIJob.launch([exe, "prepare", config, dir.path, "--train", "256"], timeout: 60)
            XCTAssertEqual(r.status, 0, r.output)
        }
        let train = [exe, "train", config, dir.path, "--epochs", "3", "--no-reference"] + sets.flatMap { ["--set", $0] }
        let r =
            ranks == 1
            ? try MPIJob.launch(train + ["--single-process"], timeout: 120)
            : try MPIJob.launch(["mpirun", "-np", "\(ranks)"] + train, timeout: 120)
        XCTAssertEqual(r.status, 0, r.output)
        let line = try XCTUnwrap(r.output.split(separator: "\n").first { $0.hasPrefix("BENCH ") }, r.output)
        return try XCTUnwrap(JSONSerialization.jsonObject(with: Data(line.dropFirst(6).utf8)) as? [String: Any])
    }

    private func check(_ r: [String: Any], progress: Bool) throws {
        let cpu = try XCTUnwrap(r["thread_cpu"] as? [String: Any], "\(r)")
        let value = { (k: String) in (cpu[k] as? NSNumber)?.doubleValue ?? -1 }
        let samples = try XCTUnwrap(r["samples"] as? Int), batch = try XCTUnwrap(r["batch_size"] as? Int)
        // epochs 2 and 3, each ceil(samples / batch) global batches
        XCTAssertEqual(cpu["steps"] as? Int, 2 * ((samples + batch - 1) / batch))
        let wall = try XCTUnwrap(r["epoch_seconds"] as? [Double]).dropFirst().reduce(0, +)
        XCTAssertGreaterThan(value("compute_s"), 0, "\(cpu)")
        XCTAssertLessThanOrEqual(value("compute_s"), wall + 0.05, "the compute thread ran at most the epochs' wall time")
        XCTAssertGreaterThanOrEqual(value("collective_cpu_s"), 0)
        XCTAssertLessThanOrEqual(value("collective_cpu_s"), value("collective_wall_s") + 1e-3, "CPU inside the calls <= their wall time")
        XCTAssertLessThanOrEqual(value("collective_cpu_s"), value("compute_s"))
        if progress {
            XCTAssertGreaterThan(value("progress_s"), 0, "the progress thread's CPU, apart from the compute thread's: \(cpu)")
            XCTAssertGreaterThan(value("collective_wall_s"), 0)
            XCTAssertGreaterThan(value("collective_cpu_s"), 0, "the compute thread's CPU in its waits: \(cpu)")
        } else {
            XCTAssertEqual(value("progress_s"), 0)
        }
    }

    func testThreadCPUOfOneProcessAndOfTwoRanksWithTheProgressThread() throws {
        let dir = try MPIJob.scratch("bench-thread-cpu")
        let alone = try bench(1, dir, [])
        try check(alone, progress: false)
        XCTAssertEqual(((alone["thread_cpu"] as? [String: Any])?["collective_wall_s"] as? NSNumber)?.doubleValue, 0)
        let two = try bench(2, dir, ["run.communication.overlap=true", "run.communication.progress_thread=true"])
        XCTAssertEqual(two["progress_thread"] as? Bool, true, "\(two)")
        try check(two, progress: true)
        try check(try bench(2, dir, ["run.communication.overlap=false"]), progress: false)
    }
}
