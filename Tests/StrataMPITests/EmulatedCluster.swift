import Foundation
import XCTest

/// One test's emulated cluster (`launch/cluster up`): nodes in network namespaces whose rsh agent gives a clean,
/// ssh-like environment. Bring it up in the test, `down()` it in a `defer`; a test process killed before that
/// leaves a cluster whose owner is gone, which the next `launch/cluster up` removes.
struct EmulatedCluster {
    let name: String
    let hostfile: String
    /// The nodes' hostnames, in hostfile order.
    let hosts: [String]
    /// The nodes' addresses (as the hostfile lists them), in node order.
    let addresses: [String]
    /// Each node's end of its link on the bridge (`ip link set LINK down` cuts the node off), in node order.
    let links: [String]
    /// The settings mpirun needs for this cluster (rsh agent, interfaces), from its env file.
    let settings: [String: String]

    static var script: String { MPIJob.launchDirectory.appendingPathComponent("cluster").path }

    /// Throws XCTSkip with launch/cluster's one-line reason when clusters cannot be made here (not root, no netns).
    static func requireAvailable() throws {
        let r = try MPIJob.launch([script, "check"], timeout: 30)
        if r.status != 0 { throw XCTSkip(r.output.trimmingCharacters(in: .whitespacesAndNewlines)) }
    }

    /// `launch/cluster up --nodes N` plus `options`, owned by this test process; `tag` (a few letters) names it.
    init(_ tag: String, nodes: Int, options: [String] = []) throws {
        try EmulatedCluster.requireAvailable()
        name = "s\(getpid())-\(tag)"
        let r = try MPIJob.launch(
            [
                EmulatedCluster.script, "up", "--nodes", "\(nodes)", "--name", name,
                "--owner", "\(getpid())",
            ] + options, timeout: 60)
        guard r.status == 0 else { throw Failure(text: "launch/cluster up failed (\(r.status)):\n\(r.output)") }
        var fields: [String: String] = [:]
        for line in r.output.split(separator: "\n") {
            guard let eq = line.firstIndex(of: "="), !line.hasPrefix("launch/cluster") else { continue }
            fields[String(line[..<eq])] = String(line[line.index(after: eq)...])
        }
        guard let hostfile = fields["hostfile"], let env = fields["env"], let nodeList = fields["nodes"],
            let linkList = fields["links"]
        else {
            throw Failure(text: "launch/cluster up printed no hostfile/env/nodes/links:\n\(r.output)")
        }
        self.hostfile = hostfile
        hosts = nodeList.split(separator: ",").map { String($0.split(separator: "=")[0]) }
        addresses = nodeList.split(separator: ",").map { String($0.split(separator: "=").last ?? "") }
        links = linkList.split(separator: ",").map(String.init)
        var settings: [String: String] = [:]
        for line in try String(contentsOfFile: env, encoding: .utf8).split(separator: "\n") where line.hasPrefix("export ") {
            let assignment = line.dropFirst("export ".count)
            guard let eq = assignment.firstIndex(of: "=") else { continue }
            settings[String(assignment[..<eq])] = String(assignment[assignment.index(after: eq)...])
        }
        self.settings = settings
    }

    /// Tears the cluster down (ends what runs on its nodes).
    func down() {
        _ = try? MPIJob.launch([EmulatedCluster.script, "down", name], timeout: 60)
    }

    /// Runs a shell command on node `node` (1-based) through the cluster's agent, as ssh would.
    func exec(node: Int, _ command: String, timeout: Double = 30) throws -> MPIJob.Result {
        try MPIJob.launch([EmulatedCluster.script, "exec", name, "\(node)", command], timeout: timeout)
    }

    /// `launch/run --hostfile <this cluster's> arguments...` with the test environment plus `extra`, without the
    /// variables named in `removing`. `onFault`: a shell command run once, as soon as the job prints a line matching
    /// the shell pattern `faultWhen` (quote words with spaces: `"\"Epoch 3/\"*"`) (default: strata-mpi-check's FAULT line; e.g. to take a link down once a rank
    /// is known to be stalled); for another pattern a line `FAULT injected at=<time>` follows (MPIJob.faultTime).
    func launchRun(
        _ arguments: [String], extra: [String: String] = [:], removing: [String] = [],
        onFault: String? = nil, faultWhen: String = "FAULT*", timeout: Double = 90
    ) throws -> MPIJob.Result {
        let run = [MPIJob.launchDirectory.appendingPathComponent("run").path, "--hostfile", hostfile] + arguments
        return try launch(run, extra: extra, removing: removing, onFault: onFault, faultWhen: faultWhen, timeout: timeout)
    }

    /// `command` on this machine with the cluster's settings in its environment (see `launchRun`).
    func launch(
        _ command: [String], extra: [String: String] = [:], removing: [String] = [],
        onFault: String? = nil, faultWhen: String = "FAULT*", timeout: Double = 90
    ) throws -> MPIJob.Result {
        var environment = MPIJob.environment.merging(settings) { $1 }.merging(extra) { $1 }
        for key in removing { environment[key] = nil }
        guard let onFault else { return try MPIJob.launch(command, timeout: timeout, environment: environment) }
        let stamp = faultWhen == "FAULT*" ? "" : "; echo \"FAULT injected at=$(date +%s.%N)\""
        let watch = """
            set -o pipefail
            fired=0
            "$@" 2>&1 | while IFS= read -r line; do
                printf '%s\\n' "$line"
                if [ "$fired" = 0 ]; then
                    case "$line" in \(faultWhen)) fired=1; \(onFault)\(stamp) ;; esac
                fi
            done
            """
        return try MPIJob.launch(["bash", "-c", watch, "launch-run"] + command, timeout: timeout, environment: environment)
    }

    /// A shell command that ends every process running on node `node` (1-based) at once, by pid, as a node that
    /// loses power.
    func killNodeCommand(_ node: Int) -> String { "kill -KILL $(ip netns pids strata-\(name)-n\(node)) 2>/dev/null" }

    /// The node-local directory of node `node` as this machine sees it (`--node-local`).
    func localDirectory(node: Int) -> String { "/run/strata-cluster/\(name)/n\(node)/local" }

    struct Failure: Error, CustomStringConvertible { let text: String; var description: String { text } }
}

/// One rank's line of `strata check-node` (launch/run --check).
struct NodeReport {
    let rank: Int
    let host: String
    let cores: Int
    let ranksOnNode: Int
    let kernel: String
    let threads: Int
    let environment: [String: String]

    /// Every rank's report in `output`, by rank.
    static func all(in output: String) -> [Int: NodeReport] {
        var reports: [Int: NodeReport] = [:]
        for line in output.split(separator: "\n") where line.hasPrefix("check-node: rank ") {
            let parts = line.components(separatedBy: " env: ")
            let words = parts[0].split(separator: " ")
            var fields: [String: String] = [:]
            for w in words { if let eq = w.firstIndex(of: "=") { fields[String(w[..<eq])] = String(w[w.index(after: eq)...]) } }
            var environment: [String: String] = [:]
            for w in (parts.count > 1 ? parts[1] : "").split(separator: " ") {
                if let eq = w.firstIndex(of: "=") { environment[String(w[..<eq])] = String(w[w.index(after: eq)...]) }
            }
            guard words.count > 2, let rank = Int(words[2]) else { continue }
            reports[rank] = NodeReport(
                rank: rank, host: fields["host"] ?? "", cores: Int(fields["cores"] ?? "") ?? 0,
                ranksOnNode: Int(fields["ranks_on_node"] ?? "") ?? 0, kernel: fields["openblas_kernel"] ?? "",
                threads: Int(fields["threads"] ?? "") ?? 0, environment: environment)
        }
        return reports
    }
}
