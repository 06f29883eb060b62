import Foundation
import XCTest

/// The Open MPI settings launch/run chooses, as each rank's Open MPI reads them (`ompi_info` run as the ranks'
/// program, in the environment mpirun gave them): not what launch/run prints, what the ranks get.
final class LaunchRunTests: XCTestCase {
    /// TCP between ranks (`--tcp`, the path between nodes): two connections per pair of ranks (with one, Open MPI's
    /// TCP transport moved a pair's all-reduce traffic one direction at a time), the started all-reduce as
    /// reduce-scatter + all-gather (Open MPI's own choice for an in-place call sends every byte twice, one way at a
    /// time, and rank 0 alone sums) and a waiting rank yielding its core instead of spinning on its sockets; README,
    /// "Many nodes". A run through shared memory gets the all-reduce setting too (README, "What scales") and keeps
    /// Open MPI's TCP links and spinning wait; the caller's own values win.
    func testRunsGetTheOpenMPISettings() throws {
        let run = MPIJob.launchDirectory.appendingPathComponent("run").path
        func settings(_ arguments: [String], extra: [String: String] = [:]) throws -> [String: OpenMPISettings] {
            let r = try MPIJob.launch(
                [run, "-n", "2"] + arguments + ["--", "sh", "-c", OpenMPISettings.report], timeout: 60,
                environment: MPIJob.environment.merging(extra) { $1 })
            XCTAssertEqual(r.status, 0, r.output)
            return OpenMPISettings.all(in: r.output)
        }
        let tcp = try settings(["--tcp"])
        XCTAssertEqual(tcp.count, 1, "both ranks on this host")
        XCTAssertEqual(tcp.values.first, OpenMPISettings.tcpDefaults)
        let mine = try settings(
            ["--tcp", "--mca", "btl_tcp_links", "3"],
            extra: ["OMPI_MCA_coll_libnbc_iallreduce_algorithm": "1", "OMPI_MCA_mpi_yield_when_idle": "0"])
        XCTAssertEqual(mine.values.first?.values, ["3", "ring", "false"], "--mca and the environment win")
        let shared = try settings([])
        XCTAssertEqual(shared.values.first?.values, ["1", "rabenseifner", "false"], "shared memory: the all-reduce setting only")
        XCTAssertEqual(shared.values.first?.sources, ["default", "environment", "default"])
        let sharedMine = try settings([], extra: ["OMPI_MCA_coll_libnbc_iallreduce_algorithm": "2"])
        XCTAssertEqual(sharedMine.values.first?.values, ["1", "binomial", "false"], "the environment wins through shared memory too")
    }

    /// `srun` does not go through launch/run, so `launch/slurm.sbatch` exports the same Open MPI settings itself: the
    /// template's lines before `srun`, run as Slurm would with 2 nodes, export every `--mca` launch/run's dry run shows
    /// for TCP, with the same values; on one node, all but the TCP-only yield; a value the caller set stays.
    func testSlurmTemplateExportsLaunchRunsSettings() throws {
        let launch = MPIJob.launchDirectory.path
        let dry = try MPIJob.launch(["\(launch)/run", "-n", "2", "--tcp", "--dry-run", "--", "true"], timeout: 30)
        XCTAssertEqual(dry.status, 0, dry.output)
        let words = (dry.output.split(separator: "\n").first { $0.hasPrefix("launch/run: mpirun ") } ?? "").split(separator: " ")
        var expected: [String: String] = [:]
        for (i, w) in words.enumerated() where w == "--mca" && i + 2 < words.count && words[i + 1] != "btl" {
            expected["OMPI_MCA_\(words[i + 1])"] = String(words[i + 2])
        }
        expected.removeValue(forKey: "OMPI_MCA_odls_base_sigkill_timeout")  // launch/run's teardown, not a tuning
        XCTAssertEqual(expected.count, 3, "launch/run's TCP settings:\n\(dry.output)")
        func exported(nodes: String, extra: [String: String] = [:]) throws -> [String: String] {
            let script =
                "eval \"$(sed '/^srun /,$d' '\(launch)/slurm.sbatch')\"; env | grep '^OMPI_MCA_' | grep -v '^OMPI_MCA_\\(rmaps\\|odls\\)_'"
            let r = try MPIJob.launch(
                ["bash", "-c", script], timeout: 30,
                environment: MPIJob.environment.merging(extra.merging(["SLURM_JOB_NUM_NODES": nodes]) { $1 }) { $1 })
            XCTAssertEqual(r.status, 0, r.output)
            return Dictionary(
                r.output.split(separator: "\n").map { l -> (String, String) in
                    let kv = l.split(separator: "=", maxSplits: 1).map(String.init)
                    return (kv[0], kv.count > 1 ? kv[1] : "")
                }
            ) { $1 }
        }
        XCTAssertEqual(try exported(nodes: "2"), expected)
        XCTAssertEqual(try exported(nodes: "1"), expected.filter { $0.key != "OMPI_MCA_mpi_yield_when_idle" })
        XCTAssertEqual(try exported(nodes: "2", extra: ["OMPI_MCA_mpi_yield_when_idle": "0"])["OMPI_MCA_mpi_yield_when_idle"], "0")
    }
}

/// Open MPI's TCP settings as it reads them on a rank's host: `btl_tcp_links`, `coll_libnbc_iallreduce_algorithm`
/// (by name: 3 is `rabenseifner`) and `mpi_yield_when_idle` (`true` or `false`), each value and where it came from.
struct OpenMPISettings: Equatable {
    let values: [String]
    let sources: [String]

    /// What launch/run sets for TCP runs, as the ranks see it (mpirun passes it in their environment).
    static let tcpDefaults = OpenMPISettings(
        values: ["2", "rabenseifner", "true"], sources: ["environment", "environment", "environment"])

    /// The ranks' shell program: one line `OMPISET <host>` then `<value> <source>` for each setting, per rank.
    static let report = """
        p() { ompi_info --param $1 $2 --level 5 --parsable | sed -n "s/^mca:[^:]*:[^:]*:param:$3:\\(value\\|source\\):\\(.*\\)$/\\2/p" \
        | tr '\\n' ' '; }; echo "OMPISET $(hostname) $(p btl tcp btl_tcp_links)$(p coll libnbc coll_libnbc_iallreduce_algorithm)\
        $(p mpi all mpi_yield_when_idle)"
        """

    /// Every host's settings in `output`, by host (ranks on one host agree: they get the same environment).
    static func all(in output: String) -> [String: OpenMPISettings] {
        var found: [String: OpenMPISettings] = [:]
        for line in output.split(separator: "\n") where line.hasPrefix("OMPISET ") {
            let words = line.split(separator: " ").map(String.init)
            guard words.count >= 8 else { continue }
            found[words[1]] = OpenMPISettings(values: [words[2], words[4], words[6]], sources: [words[3], words[5], words[7]])
        }
        return found
    }
}
