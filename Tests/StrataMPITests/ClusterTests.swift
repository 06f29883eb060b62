import Foundation
import TestSupport
import XCTest

/// launch/run across an emulated cluster (launch/cluster): nodes with their own hostnames and addresses, reached
/// through an rsh agent that gives them a clean environment, as ssh does. Skips with one message when not root or
/// without `ip netns`.
final class ClusterTests: XCTestCase {
    /// The `strata` executable of this build (the test target depends on it).
    private var strata: String { BuildProducts.executable("strata") }

    /// A node starts with nothing of the caller's environment (the agent behaves like ssh), yet every STRATA_*,
    /// OPENBLAS_*, OMP_* and MKL_* variable set before launch/run reaches every rank on both nodes, and
    /// launch/run names them.
    func testCallerVariablesReachEveryRankOnCleanNodes() throws {
        let cluster = try EmulatedCluster("env", nodes: 2)
        defer { cluster.down() }
        let mark = "mark\(getpid())"
        let caller = ["STRATA_MPI_TIMEOUT": "77", "STRATA_TEST_MARK": mark, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"]

        // Without launch/run's forwarding, nothing set here would be there: the node's environment is a login's.
        let bare = try cluster.exec(node: 2, "hostname; env")
        XCTAssertEqual(bare.status, 0, bare.output)
        XCTAssertTrue(bare.output.hasPrefix(cluster.hosts[1] + "\n"), bare.output)
        let names = Set(bare.output.split(separator: "\n").dropFirst().compactMap { $0.split(separator: "=").first.map(String.init) })
        XCTAssertTrue(names.isSubset(of: ["PATH", "HOME", "USER", "LOGNAME", "SHELL", "PWD", "SHLVL", "_"]), "\(names)")

        let r = try cluster.launchRun(["-n", "2", "--check", "--", strata], extra: caller)
        XCTAssertEqual(r.status, 0, r.output)
        let reports = NodeReport.all(in: r.output)
        XCTAssertEqual(reports.keys.sorted(), [0, 1], r.output)
        XCTAssertEqual(Set(reports.values.map(\.host)), Set(cluster.hosts), "one rank per node:\n\(r.output)")
        for report in reports.values {
            for (key, value) in caller { XCTAssertEqual(report.environment[key], value, "\(key) on \(report.host):\n\(r.output)") }
            XCTAssertEqual(report.environment["OPENBLAS_NUM_THREADS"], MPIJob.environment["OPENBLAS_NUM_THREADS"])
        }
        let forwarded = r.output.split(separator: "\n").first { $0.hasPrefix("launch/run: forwarding to every rank: ") } ?? ""
        for key in caller.keys { XCTAssertTrue(forwarded.contains(key), "launch/run says it forwards \(key):\n\(r.output)") }
        XCTAssertTrue(r.output.contains("check-node: all 2 rank(s) reached each other"), r.output)
    }

    /// Threads per rank and the OpenBLAS kernel are decided on each node: node 1 runs 2 ranks and node 2 one, so
    /// node 1's ranks get cores / 2 threads and node 2's rank all the cores (the launcher, which sees 3 ranks on 2
    /// hosts, would have given every rank the same). The kernel each rank reports is the one its node chose.
    func testThreadsAndKernelAreDecidedOnEachNode() throws {
        let cluster = try EmulatedCluster("pernode", nodes: 2, options: ["--slots", "2,1"])
        defer { cluster.down() }
        let r = try cluster.launchRun(["-n", "3", "--check", "--", strata], removing: ["OPENBLAS_NUM_THREADS", "STRATA_BLAS_THREADS"])
        XCTAssertEqual(r.status, 0, r.output)
        let reports = NodeReport.all(in: r.output)
        XCTAssertEqual(reports.count, 3, r.output)
        let cores = ProcessInfo.processInfo.activeProcessorCount
        for report in reports.values {
            let onFirst = report.host == cluster.hosts[0]
            XCTAssertEqual(report.ranksOnNode, onFirst ? 2 : 1, r.output)
            XCTAssertEqual(report.cores, cores)
            XCTAssertEqual(report.threads, max(1, cores / (onFirst ? 2 : 1)), "rank \(report.rank) on \(report.host):\n\(r.output)")
            XCTAssertEqual(report.environment["OPENBLAS_NUM_THREADS"], "\(report.threads)")
            if let chosen = report.environment["OPENBLAS_CORETYPE"] {
                XCTAssertEqual(report.kernel.lowercased(), chosen.lowercased(), "OpenBLAS runs the kernel chosen:\n\(r.output)")
            }
        }
        if let callers = ProcessInfo.processInfo.environment["OPENBLAS_CORETYPE"] {
            for report in reports.values { XCTAssertEqual(report.environment["OPENBLAS_CORETYPE"], callers, "the caller's choice wins") }
        }
    }

    /// Between nodes (a hostfile) every node's Open MPI reads launch/run's TCP settings (see LaunchRunTests): they
    /// reach the ranks through the nodes' clean environments.
    func testRanksOnEveryNodeGetTheTCPSettings() throws {
        let cluster = try EmulatedCluster("tcpset", nodes: 2)
        defer { cluster.down() }
        let r = try cluster.launchRun(["-n", "2", "--", "sh", "-c", OpenMPISettings.report])
        XCTAssertEqual(r.status, 0, r.output)
        let found = OpenMPISettings.all(in: r.output)
        XCTAssertEqual(found.keys.sorted(), cluster.hosts.sorted(), r.output)
        for (host, settings) in found { XCTAssertEqual(settings, OpenMPISettings.tcpDefaults, "on \(host):\n\(r.output)") }
    }

    /// Emulated nodes share this machine's cores, and each node's daemon binds as if it owned the machine: with one
    /// thread per rank, launch/run used to pin every node's rank to core 0, all on one core. Its hostfile marks the
    /// nodes as sharing, so ranks now keep every core this process may use (a real hostfile still binds: the
    /// dry-run line shows `--bind-to core`).
    func testEmulatedNodesDoNotStackRanksOnOneCore() throws {
        let cluster = try EmulatedCluster("bind", nodes: 2)
        defer { cluster.down() }
        let cpus = "sed -n 's/^Cpus_allowed_list:[[:space:]]*//p' /proc/self/status"
        let r = try cluster.launchRun(["-n", "2", "--threads", "1", "--", "sh", "-c", "echo \"CPUS $(hostname) $(\(cpus))\""])
        XCTAssertEqual(r.status, 0, r.output)
        let mine = try MPIJob.launch(["sh", "-c", cpus], timeout: 10).output.trimmingCharacters(in: .whitespacesAndNewlines)
        let ranks = r.output.split(separator: "\n").filter { $0.hasPrefix("CPUS ") }.map { $0.split(separator: " ").map(String.init) }
        XCTAssertEqual(Set(ranks.map { $0[1] }), Set(cluster.hosts), r.output)
        for words in ranks { XCTAssertEqual(words.last, mine, "rank on \(words[1]) may use every core:\n\(r.output)") }

        let plain = try MPIJob.scratch("hostfile").appendingPathComponent("hosts")
        defer { try? FileManager.default.removeItem(at: plain.deletingLastPathComponent()) }
        try "node1 slots=1\nnode2 slots=1\n".write(to: plain, atomically: true, encoding: .utf8)
        let real = try MPIJob.launch(
            [
                MPIJob.launchDirectory.appendingPathComponent("run").path, "-n", "2", "--threads", "1", "--hostfile", plain.path,
                "--dry-run", "--", "true",
            ],
            timeout: 30)
        XCTAssertTrue(real.output.contains("--bind-to core"), "a real cluster's ranks are still pinned:\n\(real.output)")
    }

    /// STRATA_MPI_TIMEOUT set in the caller's environment (not --timeout) ends a stalled job across two nodes on
    /// time: rank 1 stalls for 60 s, rank 0's watchdog (3 s, not the 300 s default a node would otherwise use)
    /// ends the job.
    func testTimeoutFromTheEnvironmentEndsAStalledJobAcrossNodes() throws {
        let cluster = try EmulatedCluster("timeout", nodes: 2)
        defer { cluster.down() }
        let r = try cluster.launchRun(["-n", "2", "--", MPIJob.driver, "watchdog"], extra: ["STRATA_MPI_TIMEOUT": "3"], timeout: 50)
        XCTAssertFalse(r.timedOut, r.output)
        XCTAssertEqual(r.status, 124, r.output)
        XCTAssertTrue(r.output.contains("strata: rank 0 of 2 on \(cluster.hosts[0]): MPI_Allreduce has waited"), r.output)
        XCTAssertTrue(r.output.contains("rank 1 on \(cluster.hosts[1]) has died, hung"), "names the node it waits for:\n\(r.output)")
        XCTAssertTrue(r.output.contains("(watchdog timeout 3 s)"), r.output)
        let after = r.endedAt - MPIJob.faultTime(r.output)
        print("ClusterTests: stalled job ended \(String(format: "%.2f", after)) s after the stall began (timeout 3 s)")
        XCTAssertGreaterThanOrEqual(after, 3, "not before the timeout")
        XCTAssertLessThan(after, 12, "soon after the timeout")
    }

    /// A link taken down mid-job (a partition): rank 0's watchdog ends its rank, mpirun then waits for the
    /// unreachable node's daemon, and launch/run ends mpirun and everything it started here after the grace
    /// period. (What runs on the unreachable node is out of the launcher's reach, as on real machines; the
    /// cluster's teardown ends it.)
    func testPartitionedJobEndsAfterTheGracePeriod() throws {
        let cluster = try EmulatedCluster("part", nodes: 2)
        defer { cluster.down() }
        // Node 2's end of its link on the bridge goes down once rank 1 has stalled.
        let r = try cluster.launchRun(
            ["-n", "2", "--grace", "3", "--", MPIJob.driver, "watchdog"],
            extra: ["STRATA_MPI_TIMEOUT": "3"], onFault: "ip link set \(cluster.links[1]) down", timeout: 60)
        XCTAssertFalse(r.timedOut, r.output)
        XCTAssertEqual(r.status, 124, "the watchdog's status:\n\(r.output)")
        XCTAssertTrue(r.output.contains("strata: rank 0 of 2 on \(cluster.hosts[0]): MPI_Allreduce has waited"), r.output)
        XCTAssertTrue(r.output.contains("rank 1 on \(cluster.hosts[1]) has died, hung"), "names the node it waits for:\n\(r.output)")
        let after = r.endedAt - MPIJob.faultTime(r.output)
        print("ClusterTests: partitioned job ended \(String(format: "%.2f", after)) s after the stall began (timeout 3 s, grace 3 s)")
        XCTAssertLessThan(after, 3 + 3 + 8, "ended within timeout + grace (+ start-up slack):\n\(r.output)")
        XCTAssertTrue(
            r.output.contains("launch/run: mpirun is still running 3 s after the job ended"), "ended by the grace period:\n\(r.output)")
    }

    /// The program exists on node 1 only (its node-local disk): the job fails at once with one line naming node 2.
    func testMissingProgramNamesTheHost() throws {
        let local = "/tmp/strata-node-local-\(getpid())"
        let cluster = try EmulatedCluster("noprog", nodes: 2, options: ["--node-local", local])
        defer { cluster.down(); try? FileManager.default.removeItem(atPath: local) }
        let program = cluster.localDirectory(node: 1) + "/hello"
        try "#!/bin/sh\necho hello from $(hostname)\n".write(toFile: program, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: program)
        let r = try cluster.launchRun(["-n", "2", "--", local + "/hello"], timeout: 60)
        XCTAssertNotEqual(r.status, 0, r.output)
        XCTAssertTrue(r.output.contains("launch/run: \(cluster.hosts[1]) (rank 1): \(local)/hello not found on this node"), r.output)
        XCTAssertFalse(r.output.contains("launch/run: \(cluster.hosts[0]) (rank 0)"), r.output)
    }

    /// A data file present on node 1 only: `strata train` fails with an error that names rank 1 and node 2.
    func testMissingDataFileNamesTheHost() throws {
        let local = "/tmp/strata-node-data-\(getpid())"
        let cluster = try EmulatedCluster("nodata", nodes: 2, options: ["--node-local", local])
        let dir = try MPIJob.scratch("nodata")
        defer { cluster.down(); try? FileManager.default.removeItem(atPath: local); try? FileManager.default.removeItem(at: dir) }
        let data = MPIJob.launchDirectory.deletingLastPathComponent().appendingPathComponent("configs/data/mnist-5k.h5").path
        try FileManager.default.copyItem(atPath: data, toPath: cluster.localDirectory(node: 1) + "/mnist.h5")
        let config = dir.appendingPathComponent("local.yaml").path
        try """
        seed: 1
        model:
          - Dense: {units: 10, activation: softmax, input_dim: 784}
        compile: {optimizer: sgd, loss: categorical_crossentropy}
        data:
          train: {file: \(local)/mnist.h5, x: x_train, y: y_train}
          transforms: {x: {rescale: 1/255, reshape: [784]}, y: {one_hot: 10}}
        fit: {epochs: 1, batch_size: 256, verbose: 0}
        run: {dir: \(dir.path)/run}
        """.write(toFile: config, atomically: true, encoding: .utf8)
        let r = try cluster.launchRun(["-n", "2", "--", strata, "train", config], timeout: 60)
        XCTAssertNotEqual(r.status, 0, r.output)
        XCTAssertTrue(r.output.contains("strata: error: rank 1 on \(cluster.hosts[1]): "), r.output)
        XCTAssertTrue(r.output.contains("\(local)/mnist.h5"), "the error names the file:\n\(r.output)")
    }

    /// Nodes on which the Swift toolchain's folder is hidden (an empty private mount), as nodes that never had Swift:
    /// the ordinary build cannot start there (one line naming the host and the library), the static build
    /// (launch/setup --static) trains the guide's MLP on two nodes.
    func testStaticBuildTrainsOnNodesWithoutTheToolchain() throws {
        let root = MPIJob.launchDirectory.deletingLastPathComponent()
        let staticStrata = root.appendingPathComponent(".build/static/release/strata").path
        guard FileManager.default.isExecutableFile(atPath: staticStrata) else {
            throw XCTSkip("no static build at \(staticStrata): run launch/setup --static first (.ci/run does)")
        }
        let toolchain = try swiftToolchainRoot()
        let cluster = try EmulatedCluster("static", nodes: 2, options: ["--hide", toolchain])
        let dir = try MPIJob.scratch("static")
        defer { cluster.down(); try? FileManager.default.removeItem(at: dir) }

        let dynamic = try cluster.launchRun(["-n", "2", "--", strata, "--help"], timeout: 60)
        XCTAssertNotEqual(dynamic.status, 0, dynamic.output)
        XCTAssertTrue(dynamic.output.contains("cannot start here: missing shared libraries libswift"), dynamic.output)
        XCTAssertTrue(
            dynamic.output.contains("launch/run: \(cluster.hosts[0]) (rank 0)")
                || dynamic.output.contains("launch/run: \(cluster.hosts[1]) (rank 1)"),
            dynamic.output)

        let config = root.appendingPathComponent("configs/mlp_softmax.yaml").path
        let r = try cluster.launchRun(
            [
                "-n", "2", "--", staticStrata, "train", config, "--set", "fit.epochs=2",
                "--set", "run.dir=\(dir.path)/run",
            ], timeout: 120)
        XCTAssertEqual(r.status, 0, r.output)
        XCTAssertTrue(r.output.contains("Epoch 2/2"), r.output)
        XCTAssertTrue(FileManager.default.fileExists(atPath: dir.path + "/run/ckpt-latest.h5"), r.output)
    }

    /// The toolchain folder this process's Swift runtime comes from (…/usr/lib/swift/linux/libswiftCore.so).
    private func swiftToolchainRoot() throws -> String {
        // /proc files report size 0: read to the end rather than by size.
        let maps = String(decoding: FileHandle(forReadingAtPath: "/proc/self/maps")?.readDataToEndOfFile() ?? Data(), as: UTF8.self)
        guard
            let path = maps.split(separator: "\n").compactMap({ $0.split(separator: " ").last.map(String.init) })
                .first(where: { $0.hasSuffix("/libswiftCore.so") }),
            let range = path.range(of: "/usr/lib/swift/")
        else {
            throw XCTSkip("this test process does not load libswiftCore.so from a toolchain folder")
        }
        return String(path[..<range.lowerBound])
    }
}
