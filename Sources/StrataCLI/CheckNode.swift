import ArgumentParser
import Foundation
import Strata

/// `strata check-node`: what each rank finds on its node, so a cluster user can check the nodes before training.
///
/// Every rank prints one line (`launch/run --check` runs it on every rank): its host, the node's cores and ranks,
/// the OpenBLAS kernel OpenBLAS actually selected (`openblas_get_corename`), its OpenBLAS threads and why, and the
/// STRATA_*, OPENBLAS_*, OMP_* and MKL_* variables it received. Then the ranks meet in a barrier, which checks
/// that they can reach each other, and rank 0 says so.
struct CheckNode: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check-node",
        abstract: "Report this rank's host, cores, OpenBLAS kernel, threads and environment (launch/run --check).")

    /// The prefixes of the variables launch/run forwards to every rank.
    static let forwardedPrefixes = ["STRATA_", "OPENBLAS_", "OMP_", "MKL_"]

    func run() throws {
        try StrataCommand.guarded {
            let comm = try MPICommunicator.automatic()
            let environment = ProcessInfo.processInfo.environment
            let received = environment.keys.filter { key in CheckNode.forwardedPrefixes.contains { key.hasPrefix($0) } }
                .sorted().map { "\($0)=\(environment[$0]!)" }
            let mpi = comm as? MPICommunicator
            let cores = mpi?.coresPerNode ?? ProcessInfo.processInfo.activeProcessorCount
            let ranksHere = mpi?.ranksPerNode ?? 1
            let threadSource = mpi?.blasThreads.source ?? "one process"
            var line = "check-node: rank \(comm.rank) of \(comm.size) host=\(StrataCommand.hostName) cores=\(cores) "
            line += "ranks_on_node=\(ranksHere) openblas_kernel=\(BLAS.coreName) threads=\(BLAS.threads) (\(threadSource)) "
            line += "env: " + received.joined(separator: " ")
            print(line)
            try comm.barrier()
            if comm.rank == 0 { print("check-node: all \(comm.size) rank(s) reached each other") }
        }
    }
}
