import Foundation
import XCTest

@testable import StrataMPI

/// The distributed contract, checked through real mpirun jobs of strata-mpi-check (each test bounds its job's time).
final class MPICommunicatorTests: XCTestCase {
    /// Small model on 2 ranks through launch/run: rank 0 alone prints, the loss goes down, both ranks end with
    /// bit-identical weights and history, TerminateOnNaN stops both ranks at the same step, and an unseeded model
    /// whose weights and optimizer slots rank 1 alone changed first still ends identical (rank 0's state is broadcast).
    func testTwoRankSmokeThroughLaunchRun() throws {
        let dir = try MPIJob.scratch("smoke")
        let out = dir.appendingPathComponent("smoke").path
        let run = MPIJob.launchDirectory.appendingPathComponent("run").path
        let r = try MPIJob.launch([run, "-n", "2", "--", MPIJob.driver, "smoke", out], timeout: 60)
        XCTAssertEqual(r.status, 0, r.output)
        XCTAssertTrue(r.output.contains("launch/run: mpirun -np 2"), "launch/run prints the mpirun line:\n\(r.output)")
        // Rank 0 alone prints: each epoch header and the NaN notice appear exactly once.
        for e in 1...5 { XCTAssertEqual(r.output.components(separatedBy: "Epoch \(e)/5\n").count - 1, 1, r.output) }
        XCTAssertEqual(r.output.components(separatedBy: "Invalid loss, terminating training").count - 1, 1, r.output)
        let a = try RankReport(out + ".rank0"), b = try RankReport(out + ".rank1")
        XCTAssertEqual(a.raw, b.raw, "both ranks end with identical weights, history and stop step")
        let loss = a.figures("loss")
        XCTAssertEqual(loss.count, 5)
        XCTAssertLessThan(loss.last!, loss.first! * 0.9, "loss goes down: \(loss)")
        XCTAssertEqual(a.figures("nanStopSteps"), [2], "TerminateOnNaN stops both ranks after the same batch")
        XCTAssertEqual(a.figures("unseededWeights").count, 8 * 8 + 8 + 8 * 3 + 3)
    }

    /// Same seed, same data: 1 process (no MPI), 2 ranks over TCP (the multi-node path) and 3 ranks over shared
    /// memory end with the same weights, history, evaluate and predict, including a short last batch (23 rows in
    /// batches of 5) and a global batch smaller than the rank count (batch 2 on 3 ranks).
    func testOneTwoThreeRanksGiveTheSameWeights() throws {
        let dir = try MPIJob.scratch("equality")
        let base = dir.appendingPathComponent("eq").path
        let one = try MPIJob.alone(["equality", base + "1"])
        XCTAssertEqual(one.status, 0, one.output)
        let two = try MPIJob.mpirun(2, ["equality", base + "2"], mpiArgs: ["--mca", "btl", "tcp,self"])
        XCTAssertEqual(two.status, 0, two.output)
        let three = try MPIJob.mpirun(3, ["equality", base + "3"])
        XCTAssertEqual(three.status, 0, three.output)

        let reference = try RankReport(base + "1.rank0")
        XCTAssertEqual(reference.figures("size"), [1], "without mpirun the driver runs SingleProcess")
        let w1 = reference.weights
        let scale = w1.map { abs($0) }.max()!
        for (p, ranks) in [(2, 2), (3, 3)] {
            let reports = try (0..<ranks).map { try RankReport(base + "\(p).rank\($0)") }
            XCTAssertEqual(reports[0].figures("size"), [Double(p)])
            for r in reports.dropFirst() { XCTAssertEqual(r.raw, reports[0].raw, "every rank of the \(p)-rank run agrees bit for bit") }
            let wp = reports[0].weights
            XCTAssertEqual(wp.count, w1.count)
            let diff = zip(w1, wp).map { abs($0 - $1) }.max()! / scale
            XCTAssertLessThanOrEqual(diff, 1e-5, "\(p) ranks vs 1: max |dw| / max |w| = \(diff)")
            for key in ["loss", "val_loss", "evaluate", "predict"] {
                let a = reference.figures(key), b = reports[0].figures(key)
                XCTAssertEqual(a.count, b.count, key)
                for (x, y) in zip(a, b) { XCTAssertEqual(x, y, accuracy: 1e-6 + 1e-5 * abs(x), "\(key) on \(p) ranks") }
            }
        }
    }

    /// The same through a config (`strata train`'s Runner) whose model is a Keras .h5 file, shuffle and Dropout
    /// on: the config's seed governs shuffles and masks, so 1 process (twice: bit-identical), 2 ranks over TCP and 3
    /// ranks end with the same weights, and a checkpoint written on 2 ranks resumes on 1 process to the same run.
    /// Another seed gives other weights (the equality is not vacuous).
    func testOneTwoThreeRanksGiveTheSameWeightsWithAModelFile() throws {
        let dir = try MPIJob.scratch("modelfile")
        let made = try MPIJob.alone(["model-file-config", dir.path])
        XCTAssertEqual(made.status, 0, made.output)
        let config = dir.appendingPathComponent("run.yaml").path
        func train(_ ranks: Int, _ name: String, _ sets: [String] = []) throws -> RankReport {
            let args = ["config", config, dir.appendingPathComponent(name).path, "run.dir=\(dir.path)/\(name)-run"] + sets
            let r =
                ranks == 1
                ? try MPIJob.alone(args) : try MPIJob.mpirun(ranks, args, mpiArgs: ranks == 2 ? ["--mca", "btl", "tcp,self"] : [])
            XCTAssertEqual(r.status, 0, r.output)
            return try RankReport(dir.appendingPathComponent(name).path + ".rank0")
        }
        let one = try train(1, "one"), again = try train(1, "again")
        XCTAssertEqual(one.raw, again.raw, "same config, same seed: bit-identical on one process")
        let w1 = one.weights
        let scale = w1.map { abs($0) }.max()!
        func assertClose(_ other: RankReport, _ what: String) {
            let diff = zip(w1, other.weights).map { abs($0 - $1) }.max()! / scale
            XCTAssertLessThanOrEqual(diff, 1e-5, "\(what) vs 1 process: max |dw| / max |w| = \(diff)")
        }
        assertClose(try train(2, "two"), "2 ranks")
        assertClose(try train(3, "three"), "3 ranks")
        // Half the run on 2 ranks, then resumed on 1 process from its checkpoint.
        _ = try train(2, "half", ["fit.epochs=2"])
        try FileManager.default.copyItem(atPath: dir.path + "/half-run", toPath: dir.path + "/resumed-run")
        assertClose(try train(1, "resumed"), "2 ranks then resumed on 1")
        let other = try train(1, "seed4", ["seed=4"]).weights
        XCTAssertGreaterThan(zip(w1, other).map { abs($0 - $1) }.max()! / scale, 1e-3, "another seed, another run")
    }

    /// Rank 1 throws at step 3: every rank ends promptly, non-zero, with one message naming rank 1.
    /// Also under ZeRO-1 (`sharded`), the fault striking with the weight gather in flight.
    func testErrorOnOneRankEndsEveryRank() throws {
        for extra in [[], ["sharded"]] {
            let r = try MPIJob.mpirun(2, ["throw-at-step", "3"] + extra, timeout: 30)
            XCTAssertFalse(r.timedOut, r.output)
            XCTAssertNotEqual(r.status, 0, r.output)
            XCTAssertTrue(r.output.contains("strata: rank 1 of 2 on \(RankHosts.local) failed: injected failure at step 3"), r.output)
            XCTAssertFalse(r.output.contains("UNEXPECTED"), r.output)
            XCTAssertLessThan(r.endedAt - MPIJob.faultTime(r.output), 5, "\(extra): the job ended within seconds of the failure")
        }
    }

    /// Every rank throws the same error at the same step: the job ends non-zero with the message printed once (also
    /// with ZeRO-1's weight gather in flight).
    func testSameErrorOnEveryRankIsReportedOnce() throws {
        for extra in [[], ["sharded"]] {
            let r = try MPIJob.mpirun(2, ["throw-all"] + extra, timeout: 30)
            XCTAssertFalse(r.timedOut, r.output)
            XCTAssertEqual(r.status, 1, r.output)
            XCTAssertEqual(r.output.components(separatedBy: "failed: injected failure at step 3").count - 1, 1, r.output)
            XCTAssertTrue(r.output.contains("strata: rank 0 of 2 on \(RankHosts.local) failed"), r.output)
            XCTAssertLessThan(r.seconds, 10, "\(extra)")
        }
    }

    /// Rank 1 is SIGKILLed mid-epoch: the job ends within seconds, non-zero (also under ZeRO-1).
    func testKilledRankEndsTheJob() throws {
        for extra in [[], ["sharded"]] {
            let r = try MPIJob.mpirun(2, ["sigkill-self", "3"] + extra, timeout: 30)
            XCTAssertFalse(r.timedOut, r.output)
            XCTAssertNotEqual(r.status, 0, r.output)
            XCTAssertTrue(r.output.contains("rank 1") && r.output.contains("signal 9"), r.output)
            XCTAssertLessThan(r.endedAt - MPIJob.faultTime(r.output), 5, "\(extra): the job ended within seconds of the kill")
        }
    }

    /// Rank 1 exits with status 1 before fit (an error the program caught itself): the job ends at once, with
    /// that status, instead of rank 0 waiting in its first collective.
    func testNonZeroExitOfOneRankEndsEveryRank() throws {
        let r = try MPIJob.mpirun(2, ["exit-early"], timeout: 30)
        XCTAssertFalse(r.timedOut, r.output)
        XCTAssertEqual(r.status, 1, r.output)
        XCTAssertTrue(r.output.contains("strata: rank 1 of 2 on \(RankHosts.local) exited with status 1; ending every rank"), r.output)
        XCTAssertLessThan(r.endedAt - MPIJob.faultTime(r.output), 5)
    }

    /// A gradient-sized tensor is summed in several all-reduce pieces (the last one short) on 3 ranks: every element
    /// equals its closed-form sum.
    func testAllReduceOfALargeTensorInPieces() throws {
        let count = 2 * MPICommunicator.allReducePiece + 5
        let r = try MPIJob.mpirun(3, ["allreduce", "\(count)"], timeout: 60)
        XCTAssertEqual(r.status, 0, r.output)
        XCTAssertTrue(r.output.contains("ALLREDUCE OK \(count)"), r.output)
    }

    /// Rank 1 builds a different model: one clear error naming rank 1 and the difference, before the first step.
    func testDifferentModelIsRejectedBeforeTheFirstStep() throws {
        let r = try MPIJob.mpirun(2, ["different-model"], timeout: 30)
        XCTAssertEqual(r.status, 3, r.output)
        XCTAssertTrue(
            r.output.contains("error: rank 1: its model, compile settings, seed, data or batch size differs from rank 0's"), r.output)
        XCTAssertTrue(r.output.contains("\"units\": 16") && r.output.contains("\"units\": 17"), "shows the difference:\n\(r.output)")
        XCTAssertFalse(r.output.contains("FIRST STEP"), r.output)
        XCTAssertFalse(r.output.contains("Epoch 1/2"), r.output)
    }

    /// An MPI error in a bucket's collective (rank 1 cuts its gradient buckets differently, so rank 0's
    /// `MPI_Iallreduce` receives more than it posted), raised on the progress thread or in the compute thread's wait:
    /// the job ends within seconds, non-zero, with the one message naming the rank, its host and the failed call.
    func testMPIErrorOnTheProgressThreadEndsEveryRank() throws {
        let r = try MPIJob.mpirun(2, ["mismatched-buckets"], timeout: 30)
        XCTAssertFalse(r.timedOut, r.output)
        XCTAssertNotEqual(r.status, 0, r.output)
        XCTAssertTrue(r.output.contains("of 2 on \(RankHosts.local) failed: rank "), r.output)
        // Raised in the thread's MPI_Testall, or in the wait the compute thread makes for the bucket.
        XCTAssertTrue(r.output.contains("MPI_Testall failed: MPI_ERR_") || r.output.contains("MPI_Allreduce failed: MPI_ERR_"), r.output)
        XCTAssertFalse(r.output.contains("UNEXPECTED"), r.output)
        XCTAssertLessThan(r.seconds, 15, "ended by the error, not by a watchdog or the test's timeout")
    }

    /// Rank 1 stalls (no crash): rank 0's watchdog ends the job after the 1 s timeout, naming rank 0 and the call.
    func testWatchdogEndsAStalledJob() throws {
        let r = try MPIJob.mpirun(2, ["watchdog", "1"], timeout: 30)
        XCTAssertFalse(r.timedOut, r.output)
        XCTAssertEqual(r.status, Watchdog.exitCode, r.output)
        XCTAssertTrue(r.output.contains("strata: rank 0 of 2 on \(RankHosts.local): MPI_Allreduce has waited"), r.output)
        XCTAssertTrue(r.output.contains("rank 1 on \(RankHosts.local) has died, hung"), "names the rank it waits for:\n\(r.output)")
        let after = r.endedAt - MPIJob.faultTime(r.output)
        XCTAssertGreaterThanOrEqual(after, 1, "not before the timeout")
        XCTAssertLessThan(after, 6, "soon after the timeout")
    }
}
