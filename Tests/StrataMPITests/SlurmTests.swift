import Foundation
import XCTest

/// `launch/slurm.sbatch` under a real Slurm (Debian's slurm-wlm: slurmctld, one slurmd per emulated node, munge;
/// `launch/cluster --slurm`). Skips with one message when not root, without `ip netns`, or without Slurm.
final class SlurmTests: XCTestCase {
    /// The template copied as a user would (only its #SBATCH values and its program line changed) and submitted with
    /// `sbatch --wait`: `srun --mpi=pmix` starts one rank on each of the 2 nodes, `MPICommunicator.automatic()`
    /// finds rank and size from Slurm's PMIx, and the guide's MLP (Dropout, shuffle) ends with one process's weights.
    func testTemplateTrainsOnTwoNodesThroughSrun() throws {
        try EmulatedCluster.requireAvailable()
        for tool in ["sbatch", "srun", "slurmctld", "slurmd", "munged"] {
            let found = try MPIJob.launch(["sh", "-c", "command -v \(tool)"], timeout: 10)
            if found.status != 0 { throw XCTSkip("Slurm is not installed ('\(tool)' not found; apt-get install slurm-wlm munge)") }
        }
        let cluster = try EmulatedCluster("slurm", nodes: 2, options: ["--slurm"])
        // Under Slurm each node has its own /tmp (as real nodes): the job's files go where every node sees them.
        let dir = URL(fileURLWithPath: "/var/tmp/strata-slurm-\(getpid())")
        try? FileManager.default.removeItem(at: dir)
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { cluster.down(); try? FileManager.default.removeItem(at: dir) }

        let sets = ["fit.epochs=3", "fit.shuffle=true", "fit.verbose=2"]
        let program =
            ([CrossNodeTests.strata, "train", CrossNodeTests.mlp] + (sets + ["run.dir=\(dir.path)/run"]).flatMap { ["--set", $0] })
            .joined(separator: " ")
        let template = try String(contentsOf: MPIJob.launchDirectory.appendingPathComponent("slurm.sbatch"), encoding: .utf8)
        var job = template
        for (from, to) in [
            ("#SBATCH --ntasks-per-node=4 ", "#SBATCH --ntasks-per-node=1 "),
            ("#SBATCH --cpus-per-task=4 ", "#SBATCH --cpus-per-task=1 "),
            ("#SBATCH --time=02:00:00", "#SBATCH --time=00:10:00"),
            ("#SBATCH --output=strata-%j.out", "#SBATCH --output=\(dir.path)/strata-%j.out"),
            ("    .build/release/my-training-program", "    \(program)"),
        ] {
            XCTAssertTrue(job.contains(from), "launch/slurm.sbatch no longer has '\(from)': update this test with it")
            job = job.replacingOccurrences(of: from, with: to)
        }
        XCTAssertTrue(job.contains("#SBATCH --nodes=2"), job)
        let script = dir.appendingPathComponent("job.sbatch").path
        try job.write(toFile: script, atomically: true, encoding: .utf8)

        let r = try cluster.launch(["sbatch", "--wait", "--chdir", dir.path, script], timeout: 240)
        let logs = (try? FileManager.default.contentsOfDirectory(atPath: dir.path))?.filter { $0.hasPrefix("strata-") } ?? []
        let output = try logs.map { try String(contentsOfFile: dir.appendingPathComponent($0).path, encoding: .utf8) }.joined()
        XCTAssertEqual(r.status, 0, "sbatch --wait:\n\(r.output)\njob output:\n\(output)")
        guard let id = r.output.split(separator: " ").last.flatMap({ Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) }) else {
            return XCTFail("sbatch printed no job id:\n\(r.output)")
        }
        XCTAssertEqual(output.components(separatedBy: "Epoch 3/3").count - 1, 1, "rank 0 alone prints:\n\(output)")
        // Each node's slurmd started one task of the job's step.
        for host in cluster.hosts {
            let log = try String(contentsOfFile: "/run/strata-cluster/\(cluster.name)/slurm/slurmd-\(host).log", encoding: .utf8)
            XCTAssertTrue(log.contains("launch task StepId=\(id).0 "), "\(host)'s slurmd ran a task of step \(id).0:\n\(log)")
        }
        let inspect = try MPIJob.launch([CrossNodeTests.strata, "inspect", "\(dir.path)/run/ckpt-latest.h5"], timeout: 60)
        XCTAssertTrue(inspect.output.contains("written by: 2 rank(s) x 1 OpenBLAS thread(s)"), inspect.output)

        let one = try CrossNodeTests.trainAlone(CrossNodeTests.mlp, sets + ["run.dir=\(dir.path)/one"])
        XCTAssertEqual(one.status, 0, one.output)
        let d = CrossNodeTests.relativeDifference(
            try CrossNodeTests.weights("\(dir.path)/run/ckpt-latest.h5", scratch: dir),
            try CrossNodeTests.weights("\(dir.path)/one/ckpt-latest.h5", scratch: dir))
        print("SlurmTests: 2 nodes through srun vs 1 process: max |dw| / max |w| = \(d)")
        XCTAssertLessThanOrEqual(d, 1e-5)
    }
}
