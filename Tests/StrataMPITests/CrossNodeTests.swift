import Foundation
import TestSupport
import XCTest

/// `strata train` across emulated nodes (launch/cluster, launch/run --hostfile): the same weights as one process,
/// stateful streams kept on their ranks, node-local run directories, and faults (a node killed, a link cut) that end
/// the job promptly with one message and leave a checkpoint that verifies and resumes. Skips with one message when
/// not root or without `ip netns`.
final class CrossNodeTests: XCTestCase {
    /// The `strata` executable of this build.
    static var strata: String { BuildProducts.executable("strata") }
    static var mlp: String { MPIJob.launchDirectory.deletingLastPathComponent().appendingPathComponent("configs/mlp_softmax.yaml").path }

    /// The weights of a checkpoint, by strata-mpi-check (exact bit patterns).
    static func weights(_ checkpoint: String, scratch: URL) throws -> [Float] {
        let out = scratch.appendingPathComponent("weights-\(UUID().uuidString)").path
        let r = try MPIJob.alone(["checkpoint", checkpoint, out])
        guard r.status == 0 else { throw EmulatedCluster.Failure(text: "reading \(checkpoint) failed:\n\(r.output)") }
        return try RankReport(out + ".rank0").weights
    }

    /// `strata train config --set ...` as one process (no launcher: SingleProcess), the reference of every test.
    static func trainAlone(_ config: String, _ sets: [String]) throws -> MPIJob.Result {
        try MPIJob.launch([strata, "train", config] + sets.flatMap { ["--set", $0] }, timeout: 120)
    }

    /// max |a - b| / max |b| (XCTFail when the shapes differ).
    static func relativeDifference(_ a: [Float], _ b: [Float]) -> Float {
        guard a.count == b.count, !b.isEmpty else {
            XCTFail("\(a.count) weights against \(b.count)")
            return .infinity
        }
        return zip(a, b).map { abs($0 - $1) }.max()! / b.map { abs($0) }.max()!
    }

    /// The guide's MLP with Dropout, shuffled every epoch, on 2 nodes x 1 rank over TCP between the nodes, ends with
    /// the weights of one process (masks and shuffles come from the seed and the global sample index, never from a
    /// rank's stream); another seed ends elsewhere, so the agreement is not vacuous. Small buckets with and without
    /// the progress thread end bit for bit where one buffer ends.
    func testMLPWithDropoutAndShuffleOnTwoNodesMatchesOneProcess() throws {
        let cluster = try EmulatedCluster("mlp", nodes: 2)
        let dir = try MPIJob.scratch("nodes-mlp")
        defer { cluster.down(); try? FileManager.default.removeItem(at: dir) }
        let sets = ["fit.epochs=3", "fit.shuffle=true", "fit.verbose=2"]
        let two = try cluster.launchRun(
            ["-n", "2", "--", Self.strata, "train", Self.mlp] + (sets + ["run.dir=\(dir.path)/two"]).flatMap { ["--set", $0] })
        XCTAssertEqual(two.status, 0, two.output)
        XCTAssertEqual(two.output.components(separatedBy: "Epoch 3/3").count - 1, 1, "rank 0 alone prints:\n\(two.output)")
        // Ranks on two hosts: the automatic gradient path overlaps with the progress thread, and the start says so.
        XCTAssertTrue(
            two.output.contains("gradients: overlapped buckets, progress thread (2 ranks on 2 hosts, chosen automatically)"),
            two.output)
        let one = try Self.trainAlone(Self.mlp, sets + ["run.dir=\(dir.path)/one"])
        XCTAssertEqual(one.status, 0, one.output)
        let other = try Self.trainAlone(Self.mlp, sets + ["run.dir=\(dir.path)/other", "seed=7"])
        XCTAssertEqual(other.status, 0, other.output)

        let w1 = try Self.weights("\(dir.path)/one/ckpt-latest.h5", scratch: dir)
        let w2 = try Self.weights("\(dir.path)/two/ckpt-latest.h5", scratch: dir)
        let d = Self.relativeDifference(w2, w1)
        print("CrossNodeTests: MLP 2 nodes vs 1 process: max |dw| / max |w| = \(d)")
        XCTAssertLessThanOrEqual(d, 1e-5)
        XCTAssertGreaterThan(Self.relativeDifference(try Self.weights("\(dir.path)/other/ckpt-latest.h5", scratch: dir), w1), 1e-3)

        // Buckets of a few floats over TCP between the nodes, driven by the progress thread or, without it, between
        // layers, and one buffer: the same sums, so the same weights bit for bit.
        let small = ["run.communication.overlap=true", "run.communication.first_bucket_mb=0.0001", "run.communication.bucket_mb=0.0002"]
        var runs: [String: [Float]] = [:]
        for (name, extra) in [
            ("thread", small), ("no-thread", small + ["run.communication.progress_thread=false"]),
            ("one-buffer", ["run.communication.overlap=false"]),
        ] {
            let r = try cluster.launchRun(
                ["-n", "2", "--", Self.strata, "train", Self.mlp]
                    + (sets + extra + ["run.dir=\(dir.path)/\(name)"]).flatMap { ["--set", $0] })
            XCTAssertEqual(r.status, 0, r.output)
            runs[name] = try Self.weights("\(dir.path)/\(name)/ckpt-latest.h5", scratch: dir)
        }
        XCTAssertEqual(runs["thread"]!.map(\.bitPattern), runs["one-buffer"]!.map(\.bitPattern), "progress thread vs one buffer")
        XCTAssertEqual(runs["no-thread"]!.map(\.bitPattern), runs["one-buffer"]!.map(\.bitPattern), "no thread vs one buffer")
    }

    /// A stacked stateful LSTM (batch 6, no shuffle) on 3 nodes x 1 rank: stream j of every batch lives on rank j / 2
    /// across batches and epochs, so the run ends with the weights and validation losses of one process.
    func testStatefulLSTMOnThreeNodesKeepsEachStreamOnItsRank() throws {
        let cluster = try EmulatedCluster("lstm", nodes: 3)
        let dir = try MPIJob.scratch("nodes-lstm")
        defer { cluster.down(); try? FileManager.default.removeItem(at: dir) }
        let config = dir.appendingPathComponent("stateful.yaml").path
        try """
        seed: 42
        model:
          - LSTM: {units: 8, return_sequences: true, stateful: true, batch_input_shape: [6, 5, 4]}
          - LSTM: {units: 8, stateful: true}
          - Dense: {units: 3, activation: softmax}
        compile: {optimizer: rmsprop, loss: categorical_crossentropy, metrics: [accuracy]}
        data:
          synthetic: {seed: 9, x: {shape: [5, 4]}, y: {uniform: [3]}, train: 60, validation: 18}
        fit: {epochs: 3, batch_size: 6, shuffle: false, verbose: 2}
        """.write(toFile: config, atomically: true, encoding: .utf8)
        let three = try cluster.launchRun(["-n", "3", "--", Self.strata, "train", config, "--set", "run.dir=\(dir.path)/three"])
        XCTAssertEqual(three.status, 0, three.output)
        let one = try Self.trainAlone(config, ["run.dir=\(dir.path)/one"])
        XCTAssertEqual(one.status, 0, one.output)
        let d = Self.relativeDifference(
            try Self.weights("\(dir.path)/three/ckpt-latest.h5", scratch: dir),
            try Self.weights("\(dir.path)/one/ckpt-latest.h5", scratch: dir))
        print("CrossNodeTests: stateful LSTM 3 nodes vs 1 process: max |dw| / max |w| = \(d)")
        XCTAssertLessThanOrEqual(d, 1e-5)
        XCTAssertEqual(
            try String(contentsOfFile: "\(dir.path)/three/history.csv", encoding: .utf8).split(separator: "\n").count,
            try String(contentsOfFile: "\(dir.path)/one/history.csv", encoding: .utf8).split(separator: "\n").count)
    }

    /// Run directories on node-local disks (each node its own, as on clusters without a shared file system): 2
    /// epochs, then `run.resume: auto` for 4. Only rank 0's node holds a checkpoint; rank 0 chooses it and every rank
    /// resumes from epoch 2 together (the issue's bug: rank 1 started at epoch 0 and the job hung until the watchdog),
    /// ending with the weights of one process trained for 4 epochs without a stop.
    func testNodeLocalRunDirectoriesResumeTogetherFromRankZerosCheckpoint() throws {
        let local = "/tmp/strata-nodes-local-\(getpid())"
        let cluster = try EmulatedCluster("local", nodes: 2, options: ["--node-local", local])
        let dir = try MPIJob.scratch("nodes-local")
        defer { cluster.down(); try? FileManager.default.removeItem(atPath: local); try? FileManager.default.removeItem(at: dir) }
        func train(_ epochs: Int) throws -> MPIJob.Result {
            try cluster.launchRun(
                [
                    "-n", "2", "--", Self.strata, "train", Self.mlp, "--set", "fit.epochs=\(epochs)", "--set", "fit.verbose=2",
                    "--set", "run.dir=\(local)/run", "--set", "run.resume=auto",
                ], extra: ["STRATA_MPI_TIMEOUT": "20"], timeout: 120)
        }
        let first = try train(2)
        XCTAssertEqual(first.status, 0, first.output)
        let node1 = cluster.localDirectory(node: 1) + "/run", node2 = cluster.localDirectory(node: 2) + "/run"
        XCTAssertTrue(FileManager.default.fileExists(atPath: node1 + "/ckpt-latest.h5"), "rank 0 writes on its node")
        XCTAssertFalse(FileManager.default.fileExists(atPath: node2 + "/ckpt-latest.h5"), "rank 1's node holds no checkpoint")

        let resumed = try train(4)
        XCTAssertEqual(resumed.status, 0, resumed.output)
        XCTAssertLessThan(resumed.seconds, 60, "no rank waited for the watchdog:\n\(resumed.output)")
        XCTAssertFalse(resumed.output.contains("Epoch 1/4"), "resumed after epoch 2:\n\(resumed.output)")
        XCTAssertTrue(resumed.output.contains("Epoch 3/4") && resumed.output.contains("Epoch 4/4"), resumed.output)

        let one = try Self.trainAlone(Self.mlp, ["fit.epochs=4", "run.dir=\(dir.path)/one"])
        XCTAssertEqual(one.status, 0, one.output)
        let d = Self.relativeDifference(
            try Self.weights(node1 + "/ckpt-latest.h5", scratch: dir), try Self.weights("\(dir.path)/one/ckpt-latest.h5", scratch: dir))
        XCTAssertLessThanOrEqual(d, 1e-5, "2 + 2 epochs on 2 nodes vs 4 on one process")

        // Every checkpoint on rank 0's node damaged: rank 0 finds none that verifies, and the job stops before the
        // first step with that one error, printed once (by rank 0), not after the watchdog.
        for name in try FileManager.default.contentsOfDirectory(atPath: node1) where name.hasPrefix("ckpt-") && !name.contains("latest") {
            let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: node1 + "/" + name))
            try handle.truncate(atOffset: 5000)
            try handle.close()
        }
        let damaged = try train(6)
        XCTAssertNotEqual(damaged.status, 0, damaged.output)
        XCTAssertLessThan(damaged.seconds, 20, "stopped before the watchdog:\n\(damaged.output)")
        XCTAssertFalse(damaged.output.contains("Epoch 5/6"), damaged.output)
        let errors = damaged.output.split(separator: "\n").filter { $0.hasPrefix("strata: ") }
        XCTAssertEqual(errors.count, 1, "one message:\n\(damaged.output)")
        XCTAssertTrue(
            errors.first?.hasPrefix("strata: error: rank 0 on \(cluster.hosts[0]): \(local)/run: no checkpoint in this directory verifies")
                ?? false, damaged.output)
        XCTAssertFalse(damaged.output.contains("mpirun detected"), "mpirun's box is left out:\n\(damaged.output)")
    }

    /// A node killed mid-training (every process on it at once): mpirun loses its daemon and ends the job at once;
    /// launch/run says so in one line naming the node and its rank. The last checkpoint verifies and resumes.
    func testNodeKilledMidTrainingEndsTheJobAndTheCheckpointResumes() throws {
        let cluster = try EmulatedCluster("kill", nodes: 2)
        try checkFault(cluster, "kill", inject: cluster.killNodeCommand(2)) { r in
            XCTAssertTrue(
                r.output.contains(
                    "launch/run: lost contact with node \(cluster.addresses[1]) (rank 1): the node died or its network link is down"),
                r.output)
            XCTAssertFalse(r.output.contains("ORTE has lost communication"), "mpirun's box is folded into that line:\n\(r.output)")
        }
    }

    /// A link taken down mid-training (a partition): rank 0's watchdog ends it after STRATA_MPI_TIMEOUT with one line
    /// naming rank 0, its host and the rank and host it waits for; launch/run ends mpirun (which waits for the
    /// unreachable daemon) after the grace period. The last checkpoint verifies and resumes once the link is back.
    func testLinkDownMidTrainingEndsTheJobAndTheCheckpointResumes() throws {
        let cluster = try EmulatedCluster("link", nodes: 2)
        try checkFault(cluster, "link", inject: "ip link set \(cluster.links[1]) down", repair: "ip link set \(cluster.links[1]) up") { r in
            XCTAssertEqual(r.status, 124, "the watchdog's status:\n\(r.output)")
            let lines = r.output.split(separator: "\n").filter { $0.hasPrefix("strata: ") }
            XCTAssertEqual(lines.count, 1, "one message:\n\(r.output)")
            // Which call rank 0 is in when the link goes (the step's all-reduce, or the barrier at the epoch's
            // checkpoint) is a matter of timing; the line names it either way.
            let head = lines.first ?? ""
            XCTAssertTrue(
                head.hasPrefix("strata: rank 0 of 2 on \(cluster.hosts[0]): MPI_") && head.contains(" has waited "), r.output)
            XCTAssertTrue(lines.first?.contains("rank 1 on \(cluster.hosts[1]) has died, hung, lost its node or network link") ?? false)
            XCTAssertFalse(r.output.contains("Primary job"), "mpirun's box is left out:\n\(r.output)")
        }
    }

    /// Trains the MLP for many epochs on 2 nodes (timeout 4 s, grace 3 s), runs `inject` when epoch 3 starts, and
    /// checks: the job ends within timeout + grace (+ slack), the newest checkpoint passes `strata inspect
    /// --verify`, and `run.resume: auto` on the repaired cluster continues from it to two epochs past the last one
    /// the faulted job started (at least 5: on a fast machine the job can get past epoch 5 before the fault lands),
    /// ending with the weights of one process trained as many epochs.
    private func checkFault(
        _ cluster: EmulatedCluster, _ tag: String, inject: String, repair: String? = nil, _ expect: (MPIJob.Result) -> Void
    ) throws {
        let dir = try MPIJob.scratch("nodes-\(tag)")
        defer { cluster.down(); try? FileManager.default.removeItem(at: dir) }
        let (timeout, grace) = (4.0, 3.0)
        func train(_ epochs: Int, onFault: String? = nil) throws -> MPIJob.Result {
            try cluster.launchRun(
                [
                    "-n", "2", "--grace", "\(Int(grace))", "--", Self.strata, "train", Self.mlp, "--set", "fit.epochs=\(epochs)",
                    "--set", "fit.verbose=2", "--set", "run.dir=\(dir.path)/run", "--set", "run.resume=auto",
                ], extra: ["STRATA_MPI_TIMEOUT": "\(Int(timeout))"], onFault: onFault, faultWhen: "\"Epoch 3/\"*", timeout: 120)
        }
        let r = try train(400, onFault: inject)
        XCTAssertFalse(r.timedOut, r.output)
        XCTAssertNotEqual(r.status, 0, r.output)
        let after = r.endedAt - MPIJob.faultTime(r.output)
        print(
            "CrossNodeTests: \(tag): the job ended \(String(format: "%.2f", after)) s after the fault (timeout \(timeout) s, grace \(grace) s)"
        )
        XCTAssertLessThan(after, timeout + grace + 5, r.output)
        expect(r)

        let latest = "\(dir.path)/run/ckpt-latest.h5"
        let verify = try MPIJob.launch([Self.strata, "inspect", "--verify", latest], timeout: 60)
        XCTAssertEqual(verify.status, 0, verify.output)
        XCTAssertTrue(verify.output.hasPrefix("OK "), verify.output)

        if let repair { _ = try MPIJob.launch(["sh", "-c", repair], timeout: 10) }
        // The newest checkpoint is at most the last epoch the job started (it is written at that epoch's end).
        let started =
            r.output.split(separator: "\n").compactMap { line -> Int? in
                guard line.hasPrefix("Epoch "), let n = line.dropFirst(6).split(separator: "/").first else { return nil }
                return Int(n)
            }.max() ?? 0
        let epochs = max(5, started + 2)
        print("CrossNodeTests: \(tag): the faulted job had started epoch \(started); resuming to \(epochs)")
        let resumed = try train(epochs)
        XCTAssertEqual(resumed.status, 0, resumed.output)
        XCTAssertFalse(resumed.output.contains("Epoch 1/\(epochs)"), "resumed from the checkpoint:\n\(resumed.output)")
        XCTAssertTrue(resumed.output.contains("Epoch \(epochs)/\(epochs)"), resumed.output)
        let one = try Self.trainAlone(Self.mlp, ["fit.epochs=\(epochs)", "run.dir=\(dir.path)/one"])
        XCTAssertEqual(one.status, 0, one.output)
        let d = Self.relativeDifference(
            try Self.weights(latest, scratch: dir), try Self.weights("\(dir.path)/one/ckpt-latest.h5", scratch: dir))
        XCTAssertLessThanOrEqual(d, 1e-5, "resumed after the \(tag) fault vs \(epochs) epochs on one process")
    }
}
