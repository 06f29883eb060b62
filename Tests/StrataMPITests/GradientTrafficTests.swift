import Foundation
import XCTest

@testable import StrataMPI

/// Overlapped buckets (MPI_Iallreduce, driven by the progress thread or, without it, between layers), row-sparse Embedding traffic (MPI_Allgatherv) and the ZeRO-1 sharded
/// optimizer (MPI_Ireduce_scatter per bucket, MPI_Allgatherv of the weights) under real mpirun jobs:
/// bit for bit the one-buffer run on 2 ranks (a two-term float sum does not depend on how the floats are grouped),
/// within float summation tolerance on 3 ranks and against one process; a run stopped and resumed at the same rank
/// count is bit for bit the run that never stopped; gradients compressed to 16 bits within the format's rounding.
final class GradientTrafficTests: XCTestCase {
    private func run(_ ranks: Int, _ how: String, _ dir: URL, tcp: Bool = false, mpiArgs: [String] = []) throws -> [Float] {
        let out = dir.appendingPathComponent("\(how)-\(ranks)\(mpiArgs.joined(separator: "-"))").path
        let r =
            ranks == 1
            ? try MPIJob.alone(["communication", out, how])
            : try MPIJob.mpirun(ranks, ["communication", out, how], mpiArgs: (tcp ? ["--mca", "btl", "tcp,self"] : []) + mpiArgs)
        XCTAssertEqual(r.status, 0, r.output)
        let reports = try (0..<ranks).map { try RankReport(out + ".rank\($0)") }
        for other in reports.dropFirst() { XCTAssertEqual(other.raw, reports[0].raw, "\(how) on \(ranks) ranks: every rank agrees") }
        return reports[0].weights
    }

    func testBucketsAndRowsMatchOneBuffer() throws {
        let dir = try MPIJob.scratch("traffic")
        let reference = try run(2, "one-buffer", dir)
        for how in [
            "buckets", "buckets-no-thread", "dense-rows", "default", "sharded", "sharded-no-thread", "sharded-one-buffer",
            "sharded-blocking-gather",
        ] {
            XCTAssertEqual(try run(2, how, dir).map(\.bitPattern), reference.map(\.bitPattern), "\(how) vs one buffer, 2 ranks")
        }
        for how in ["buckets", "buckets-no-thread"] {
            XCTAssertEqual(try run(2, how, dir, tcp: true).map(\.bitPattern), reference.map(\.bitPattern), "\(how) over TCP")
        }
        // ZeRO-1's weight gather overlapped with the next forward (MPI_Iallgatherv pieces) is the blocking gather's
        // bytes on 3 ranks too, with and without the progress thread.
        let blocking3 = try run(3, "sharded-blocking-gather", dir)
        for how in ["sharded", "sharded-no-thread"] {
            XCTAssertEqual(try run(3, how, dir).map(\.bitPattern), blocking3.map(\.bitPattern), "\(how) vs blocking gather, 3 ranks")
        }
        let one = try run(1, "default", dir)
        let scale = one.map { abs($0) }.max()!
        for (ranks, how) in [(3, "one-buffer"), (3, "buckets"), (3, "default"), (2, "default"), (3, "sharded")] {
            let w = try run(ranks, how, dir)
            let diff = zip(w, one).map { abs($0 - $1) }.max()! / scale
            XCTAssertLessThanOrEqual(diff, 1e-5, "\(how) on \(ranks) ranks vs 1 process: max |dw| / max |w| = \(diff)")
        }
    }

    /// Gradients compressed to fp16 / bf16 on the wire (`GradientCompression`): every rank ends with the same bits;
    /// the weights are within the format's rounding of one process's (which rounds nothing) and are not the float
    /// all-reduce's (so the compression acted); overlapped buckets with and without the progress thread, one buffer,
    /// and launch/run's all-reduce algorithm. The 200-row Embedding table travels as float rows throughout.
    func testCompressedGradientsStayWithinTheFormatsRounding() throws {
        let dir = try MPIJob.scratch("compressed")
        let one = try run(1, "fp16", dir)  // one process rounds nothing: the float run
        XCTAssertEqual(one.map(\.bitPattern), try run(1, "default", dir).map(\.bitPattern), "one process: compression is a no-op")
        let float2 = try run(2, "one-buffer", dir)
        let scale = one.map { abs($0) }.max()!
        let algorithm = ["--mca", "coll_libnbc_iallreduce_algorithm", "3"]
        for (how, mpiArgs) in [
            ("fp16", []), ("bf16", []), ("fp16-no-thread", []), ("bf16-one-buffer", []), ("fp16", algorithm), ("bf16", algorithm),
        ] {
            let w = try run(2, how, dir, mpiArgs: mpiArgs)
            // Each step's summed gradient is off by at most 1.5 units of the format's epsilon (each rank's value
            // rounded, then their sum); over 45 small SGD steps (3 epochs of 5 batches, 3 nets) the weights drift by
            // a fraction of an epsilon of the largest weight (measured: 0.25-0.3 eps). 4 eps is the bound; float's own
            // summation order moves them by under 1e-5 of fp16's 4.9e-4.
            let eps = how.hasPrefix("fp16") ? 0x1p-11 : 0x1p-8
            let diff = Double(zip(w, one).map { abs($0 - $1) }.max()! / scale)
            XCTAssertLessThanOrEqual(diff, 4 * eps, "\(how) \(mpiArgs) on 2 ranks vs 1 process: max |dw| / max |w| = \(diff)")
            XCTAssertNotEqual(w.map(\.bitPattern), float2.map(\.bitPattern), "\(how): the weights are not the float all-reduce's")
        }
        // 3 ranks: every rank still ends with the same bits (the op commutes, so each algorithm's partial sums agree).
        let three = try run(3, "bf16", dir)
        XCTAssertLessThanOrEqual(Double(zip(three, one).map { abs($0 - $1) }.max()! / scale), 4 * 0x1p-8, "bf16 on 3 ranks")
    }

    /// launch/run's all-reduce algorithm (`coll_libnbc_iallreduce_algorithm 3`: reduce-scatter + all-gather, where
    /// Open MPI's own choice for an in-place call is reduce to rank 0 and broadcast) through shared memory: on 2 ranks
    /// the same weights bit for bit as Open MPI's choice, one buffer and buckets; on 3 every rank agrees and the
    /// weights are within float summation tolerance of one process.
    func testLaunchRunAllReduceAlgorithmKeepsTheWeights() throws {
        let dir = try MPIJob.scratch("traffic-algorithm")
        let rabenseifner = ["--mca", "coll_libnbc_iallreduce_algorithm", "3"]
        let reference = try run(2, "one-buffer", dir, mpiArgs: ["--mca", "coll_libnbc_iallreduce_algorithm", "2"])
        for how in ["one-buffer", "buckets", "buckets-no-thread"] {
            XCTAssertEqual(
                try run(2, how, dir, mpiArgs: rabenseifner).map(\.bitPattern), reference.map(\.bitPattern),
                "\(how), reduce-scatter + all-gather vs binomial, 2 ranks")
        }
        let one = try run(1, "default", dir)
        let scale = one.map { abs($0) }.max()!
        for how in ["one-buffer", "buckets"] {
            let w = try run(3, how, dir, mpiArgs: rabenseifner)
            let diff = zip(w, one).map { abs($0 - $1) }.max()! / scale
            XCTAssertLessThanOrEqual(diff, 1e-5, "\(how) on 3 ranks (reduce-scatter + all-gather) vs 1 process: \(diff)")
        }
    }

    /// A config run (Dropout, shuffling, checkpoints) stopped after 2 of 4 epochs and resumed, on 2 ranks with the
    /// overlapped traffic, ends bit for bit where the uninterrupted 2-rank run ends.
    func testResumeAtTheSameRankCountIsBitIdentical() throws {
        let dir = try MPIJob.scratch("traffic-resume")
        let made = try MPIJob.alone(["model-file-config", dir.path])
        XCTAssertEqual(made.status, 0, made.output)
        let config = dir.appendingPathComponent("run.yaml").path
        var output = ""
        func train(_ name: String, _ sets: [String] = []) throws -> RankReport {
            let args = ["config", config, dir.appendingPathComponent(name).path, "run.dir=\(dir.path)/\(name)-run"] + sets
            let r = try MPIJob.mpirun(2, args)
            XCTAssertEqual(r.status, 0, r.output)
            output = r.output
            return try RankReport(dir.appendingPathComponent(name).path + ".rank0")
        }
        // 26- and 52-float buckets, overlapped (on one host the automatic choice would send one buffer).
        let small = ["run.communication.overlap=true", "run.communication.first_bucket_mb=0.0001", "run.communication.bucket_mb=0.0002"]
        let straight = try train("straight", small)
        _ = try train("half", ["fit.epochs=2"] + small)
        try FileManager.default.copyItem(atPath: dir.path + "/half-run", toPath: dir.path + "/resumed-run")
        let resumed = try train("resumed", small)
        XCTAssertEqual(resumed.weights.map(\.bitPattern), straight.weights.map(\.bitPattern))
        XCTAssertEqual(resumed.figures("loss"), straight.figures("loss"))
        // ZeRO-1 with the weight gather overlapped with the next forward: the same.
        let zero = small + ["run.communication.shard_optimizer=true"]
        let zeroStraight = try train("zero-straight", zero)
        XCTAssertFalse(output.contains("strata: note: ZeRO-1"), "checkpoints once an epoch keep the overlap:\n\(output)")
        _ = try train("zero-half", ["fit.epochs=2"] + zero)
        try FileManager.default.copyItem(atPath: dir.path + "/zero-half-run", toPath: dir.path + "/zero-resumed-run")
        let zeroResumed = try train("zero-resumed", zero)
        XCTAssertEqual(zeroResumed.weights.map(\.bitPattern), zeroStraight.weights.map(\.bitPattern), "ZeRO-1")
        XCTAssertEqual(zeroResumed.figures("loss"), zeroStraight.figures("loss"), "ZeRO-1")
        // Checkpoints every 3 steps read the weights at batch end: rank 0's start says the overlap is gone, once.
        _ = try train("zero-steps", ["fit.epochs=1", "run.checkpoint_every=3"] + zero)
        let note =
            "strata: note: ZeRO-1's weight all-gather will not overlap the next forward: the batch hooks of callback ModelCheckpoint may read"
        XCTAssertEqual(output.components(separatedBy: note).count, 2, "one note naming ModelCheckpoint:\n\(output)")
        XCTAssertTrue(output.contains("run.checkpoint_every: epoch"), output)
    }
}
