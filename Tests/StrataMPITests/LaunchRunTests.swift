import Foundation
import XCTest

/// The Open MPI settings launch/run chooses, as each rank's Open MPI reads them (`ompi_info` run as the ranks'
/// program, in the environment mpirun gave them): not what launch/run prints, what the ranks get.
final class LaunchRunTests: XCTestCase {
    /// TCP between ranks (`--tcp`, the path between nodes): two connections per pair of ranks (with one, Open MPI's
    /// TCP transport moved a pair's all-reduce traffic one direction at a time) and the started all-reduce as
    /// reduce-scatter + all-gather (Open MPI's own choice for an in-place call sends every byte twice, one way at a
    /// time, and rank 0 alone sums); README, "Many nodes". A run through shared memory gets the all-reduce setting
    /// too (README, "What scales") and keeps Open MPI's TCP links; the caller's own values win.
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
        let mine = try settings(["--tcp", "--mca", "btl_tcp_links", "3"], extra: ["OMPI_MCA_coll_libnbc_iallreduce_algorithm": "1"])
        XCTAssertEqual(mine.values.first?.values, ["3", "ring"], "--mca and the environment win")
        let shared = try settings([])
        XCTAssertEqual(shared.values.first?.values, ["1", "rabenseifner"], "shared memory: the all-reduce setting only")
        XCTAssertEqual(shared.values.first?.sources, ["default", "environment"])
        let sharedMine = try settings([], extra: ["OMPI_MCA_coll_libnbc_iallreduce_algorithm": "2"])
        XCTAssertEqual(sharedMine.values.first?.values, ["1", "binomial"], "the environment wins through shared memory too")
    }
}

/// Open MPI's TCP settings as it reads them on a rank's host: `btl_tcp_links` and
/// `coll_libnbc_iallreduce_algorithm` (by name: 3 is `rabenseifner`), each value and where it came from.
struct OpenMPISettings: Equatable {
    let values: [String]
    let sources: [String]

    /// What launch/run sets for TCP runs, as the ranks see it (mpirun passes it in their environment).
    static let tcpDefaults = OpenMPISettings(values: ["2", "rabenseifner"], sources: ["environment", "environment"])

    /// The ranks' shell program: one line `OMPISET <host> <value> <source> <value> <source>` per rank.
    static let report = """
        p() { ompi_info --param $1 $2 --level 5 --parsable | sed -n "s/^mca:$1:$2:param:$3:\\(value\\|source\\):\\(.*\\)$/\\2/p" \
        | tr '\\n' ' '; }; echo "OMPISET $(hostname) $(p btl tcp btl_tcp_links)$(p coll libnbc coll_libnbc_iallreduce_algorithm)"
        """

    /// Every host's settings in `output`, by host (ranks on one host agree: they get the same environment).
    static func all(in output: String) -> [String: OpenMPISettings] {
        var found: [String: OpenMPISettings] = [:]
        for line in output.split(separator: "\n") where line.hasPrefix("OMPISET ") {
            let words = line.split(separator: " ").map(String.init)
            guard words.count >= 6 else { continue }
            found[words[1]] = OpenMPISettings(values: [words[2], words[4]], sources: [words[3], words[5]])
        }
        return found
    }
}
