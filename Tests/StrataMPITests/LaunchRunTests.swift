import Foundation
import XCTest

/// The Open MPI settings launch/run chooses, as each rank's Open MPI reads them (`ompi_info` run as the ranks'
/// program, in the environment mpirun gave them): not what launch/run prints, what the ranks get.
final class LaunchRunTests: XCTestCase {
    /// TCP between ranks (`--tcp`, the path between nodes) opens two connections per pair of ranks: with one, Open
    /// MPI's TCP transport moved a pair's all-reduce traffic one direction at a time (README, "Many nodes / The
    /// network"). A run through shared memory is left alone, and the caller's own value wins.
    func testTCPRunsOpenTwoConnectionsPerPairOfRanks() throws {
        let run = MPIJob.launchDirectory.appendingPathComponent("run").path
        func links(_ arguments: [String], extra: [String: String] = [:]) throws -> [String: TCPLinks] {
            let r = try MPIJob.launch(
                [run, "-n", "2"] + arguments + ["--", "sh", "-c", TCPLinks.report], timeout: 60,
                environment: MPIJob.environment.merging(extra) { $1 })
            XCTAssertEqual(r.status, 0, r.output)
            return TCPLinks.all(in: r.output)
        }
        let tcp = try links(["--tcp"])
        XCTAssertEqual(tcp.count, 1, "both ranks on this host")
        XCTAssertEqual(tcp.values.first, TCPLinks(value: "2", source: "environment"))
        XCTAssertEqual(try links(["--tcp", "--mca", "btl_tcp_links", "3"]).values.first?.value, "3", "--mca wins")
        XCTAssertEqual(try links(["--tcp"], extra: ["OMPI_MCA_btl_tcp_links": "1"]).values.first?.value, "1", "the environment wins")
        XCTAssertEqual(try links([]).values.first, TCPLinks(value: "1", source: "default"), "shared memory: Open MPI's default")
    }
}

/// `btl_tcp_links` as Open MPI reads it on a rank's host: its value and where it came from.
struct TCPLinks: Equatable {
    let value: String
    let source: String

    /// The ranks' shell program: one line `TCPLINKS <host> <value> <source>` per rank.
    static let report = """
        echo "TCPLINKS $(hostname) $(ompi_info --param btl tcp --level 4 --parsable | sed -n \
        's/^mca:btl:tcp:param:btl_tcp_links:\\(value\\|source\\):\\(.*\\)$/\\2/p' | tr '\\n' ' ')"
        """

    /// Every host's report in `output`, by host (ranks on one host agree: they get the same environment).
    static func all(in output: String) -> [String: TCPLinks] {
        var found: [String: TCPLinks] = [:]
        for line in output.split(separator: "\n") where line.hasPrefix("TCPLINKS ") {
            let words = line.split(separator: " ").map(String.init)
            guard words.count >= 4 else { continue }
            found[words[1]] = TCPLinks(value: words[2], source: words[3])
        }
        return found
    }
}
