import Foundation
import Strata
import XCTest

final class ModelCheckpointTests: XCTestCase {
    func testFileNamesFollowKerasPlaceholders() {
        let c = ModelCheckpoint("runs/mlp/ckpt-{epoch:02d}.h5")
        XCTAssertEqual(c.format(epoch: 6, batch: nil, logs: [:]), "runs/mlp/ckpt-07.h5")
        XCTAssertEqual(
            ModelCheckpoint("w-{epoch}-{val_loss:.2f}.h5").format(epoch: 0, batch: nil, logs: ["val_loss": 0.4567]), "w-1-0.46.h5")
        XCTAssertTrue(c.latestPath.hasSuffix("runs/mlp/ckpt-latest.h5"))
    }

    /// `keep: 2` leaves the two newest files plus ckpt-latest.h5, which is the newest one.
    func testKeepRotationAndLatest() throws {
        let dir = try TestFiles.directory()
        let x = try TestFiles.tensor(20, 3)
        let m = Sequential([Dense(2, activation: .softmax, inputShape: [3])], seed: 2)
        m.compile(optimizer: "adam", loss: "categorical_crossentropy")
        let c = ModelCheckpoint(dir + "/ckpt-{epoch:02d}.h5", keep: 2)
        try m.fit(x, toCategorical((0..<20).map { $0 % 2 }, numClasses: 2), batchSize: 5, epochs: 4, verbose: 0, callbacks: [c])
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir).sorted(), ["ckpt-03.h5", "ckpt-04.h5", "ckpt-latest.h5"])
        let latest = try Data(contentsOf: URL(fileURLWithPath: dir + "/ckpt-latest.h5"))
        XCTAssertEqual(latest, try Data(contentsOf: URL(fileURLWithPath: dir + "/ckpt-04.h5")))
        let back = try Sequential.load(dir + "/ckpt-latest.h5")
        XCTAssertEqual(back.parameters!.values.scalars, m.parameters!.values.scalars)
    }

    /// `keep: 2` counts the files an earlier run of the pattern left: a resumed run still leaves two (and never
    /// touches files the pattern cannot have written).
    func testKeepCountsFilesOfEarlierRuns() throws {
        let dir = try TestFiles.directory()
        let x = try TestFiles.tensor(20, 3)
        let y = try toCategorical((0..<20).map { $0 % 2 }, numClasses: 2)
        for other in ["notes.h5", "ckpt-final.h5", "ckpt-1x.h5"] { try Data("x".utf8).write(to: URL(fileURLWithPath: dir + "/" + other)) }
        func run(epochs: Int, resume: Bool) throws {
            let m = Sequential([Dense(2, activation: .softmax, inputShape: [3])], seed: 2)
            m.compile(optimizer: "adam", loss: "categorical_crossentropy")
            let c = ModelCheckpoint(dir + "/ckpt-{epoch:02d}.h5", keep: 2)
            if resume {
                try m.fit(TensorDataset(x: x, y: y), batchSize: 5, epochs: epochs, verbose: 0, callbacks: [c], resumeFrom: c.latestPath)
            } else {
                try m.fit(x, y, batchSize: 5, epochs: epochs, verbose: 0, callbacks: [c])
            }
        }
        try run(epochs: 2, resume: false)
        try run(epochs: 4, resume: true)
        XCTAssertEqual(
            try FileManager.default.contentsOfDirectory(atPath: dir).sorted(),
            ["ckpt-03.h5", "ckpt-04.h5", "ckpt-1x.h5", "ckpt-final.h5", "ckpt-latest.h5", "notes.h5"])
        // A run that rewrites an existing file keeps it as the newest.
        try run(epochs: 4, resume: false)
        XCTAssertEqual(
            try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.hasPrefix("ckpt-0") }.sorted(),
            ["ckpt-03.h5", "ckpt-04.h5"])
    }

    /// A run EarlyStopping ended (restoring its best weights) resumed from its last checkpoint trains no further
    /// and ends with the same weights; resumed from before the stop, it stops at the same epoch with the same
    /// best weights (which the checkpoint holds).
    func testEarlyStoppedRunStaysStopped() throws {
        let dir = try TestFiles.directory()
        let x = try TestFiles.tensor(30, 4)
        let y = try toCategorical((0..<30).map { x[$0, 0] > 0 ? 1 : 0 }, numClasses: 2)
        func model() -> Sequential {
            let m = Sequential([Dense(5, activation: .tanh, inputShape: [4]), Dense(2, activation: .softmax)], seed: 3)
            m.compile(optimizer: SGD(learningRate: 0.1), loss: "categorical_crossentropy")
            return m
        }
        // The checkpoint callback comes first, so the files hold the weights before EarlyStopping restores.
        func callbacks() -> [Callback] {
            [
                ModelCheckpoint(dir + "/ck-{epoch:02d}.h5"),
                EarlyStopping(monitor: "val_loss", minDelta: 10, patience: 1, restoreBestWeights: true),
            ]
        }
        let data = TensorDataset(x: x, y: y)
        let full = model()
        let h = try full.fit(data, batchSize: 10, epochs: 10, verbose: 0, callbacks: callbacks(), validationData: data)
        XCTAssertEqual(h.epoch, [0, 1])
        for point in ["ck-02.h5", "ck-01.h5"] {
            let resumed = model()
            let h2 = try resumed.fit(
                data, batchSize: 10, epochs: 10, verbose: 0, callbacks: callbacks(), validationData: data,
                resumeFrom: dir + "/" + point)
            XCTAssertEqual(h2.epoch, [0, 1], point)
            XCTAssertEqual(resumed.optimizerState?.iterations, 6, point)
            XCTAssertEqual(resumed.parameters!.values.scalars, full.parameters!.values.scalars, point)
        }
    }

    /// A checkpoint written before the Trainer existed (callback state by list position; Tests/Fixtures/
    /// strata_checkpoint_v2/make.sh, by commit 63babba) resumes mid-epoch and ends bit-identical to the weights that
    /// commit's own uninterrupted run ended with.
    func testCheckpointWrittenBeforeTheTrainerResumes() throws {
        let exe = TestFiles.checkExecutable
        guard FileManager.default.isExecutableFile(atPath: exe) else { throw XCTSkip("\(exe) not built") }
        let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/strata_checkpoint_v2").path
        let run = try TestFiles.directory()
        try FileManager.default.copyItem(atPath: fixtures + "/ckpt-02.h5", toPath: run + "/ckpt-02.h5")
        var env = ProcessInfo.processInfo.environment
        env["OPENBLAS_NUM_THREADS"] = "1"
        let (status, out) = try TestFiles.run(
            exe,
            [
                "train", fixtures + "/data.h5", run, "--epochs", "2", "--batch", "16",
                "--freq", "steps:4", "--keep", "10", "--resume",
            ], environment: env)
        XCTAssertEqual(status, 0, out)
        XCTAssertTrue(out.contains("resuming from"), out)
        XCTAssertEqual(
            try Data(contentsOf: URL(fileURLWithPath: run + "/final.bin")),
            try Data(contentsOf: URL(fileURLWithPath: fixtures + "/final.bin")))
    }

    /// A training process SIGKILLed at random moments (often inside a checkpoint write), resumed each time,
    /// ends bit-identical to an uninterrupted run. (Single process; the 2-rank variant comes with StrataMPI.)
    func testKillAndResumeIsBitIdentical() throws {
        try killAndResume(modelFile: false)
    }

    /// The same with the model given as a Keras model file (weights from the file, run seed from `fit(seed:)`):
    /// shuffles and dropout masks continue exactly across the kills.
    func testKillAndResumeWithAModelFileIsBitIdentical() throws {
        try killAndResume(modelFile: true)
    }

    func killAndResume(modelFile: Bool) throws {
        let exe = TestFiles.checkExecutable
        guard FileManager.default.isExecutableFile(atPath: exe) else { throw XCTSkip("\(exe) not built") }
        let dir = try TestFiles.directory()
        let data = dir + "/data.h5"
        XCTAssertEqual(try TestFiles.run(exe, ["make-data", data, "--rows", "300", "--chunk", "64", "--gzip", "1"]).0, 0)
        var common = ["--epochs", "3", "--batch", "32", "--mode", "stream:4096"]
        if modelFile {
            XCTAssertEqual(try TestFiles.run(exe, ["make-model", data, dir + "/model.h5"]).0, 0)
            common += ["--model-file", dir + "/model.h5"]
        }
        let (s0, o0) = try TestFiles.run(exe, ["train", data, dir + "/full"] + common)
        XCTAssertEqual(s0, 0, o0)
        if modelFile { XCTAssertTrue(o0.contains("starts from the model file's weights: true"), o0) }
        let reference = try Data(contentsOf: URL(fileURLWithPath: dir + "/full/final.bin"))
        var rng = SystemRandomNumberGenerator()
        var kills = 0, duringWrite = 0
        let run = dir + "/killed"
        // First: killed inside a checkpoint write, for certain.
        let (sk, ok) = try TestFiles.run(exe, ["train", data, run, "--kill-in-write"] + common)
        XCTAssertEqual(sk, SIGKILL, ok)
        XCTAssertTrue(try FileManager.default.contentsOfDirectory(atPath: run).contains { $0.contains(".tmp.") })
        // Then: killed at random moments, resuming each time.
        for _ in 0..<4 {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: exe)
            p.arguments = ["train", data, run, "--resume", "--delay-ms", "3"] + common
            p.standardOutput = FileHandle.nullDevice
            p.standardError = FileHandle.nullDevice
            try p.run()
            usleep(UInt32.random(in: 30_000...250_000, using: &rng))
            if p.isRunning { kill(p.processIdentifier, SIGKILL); kills += 1 }
            p.waitUntilExit()
            let files = (try? FileManager.default.contentsOfDirectory(atPath: run)) ?? []
            if files.contains(where: { $0.contains(".tmp.") }) { duringWrite += 1 }
        }
        let (s1, o1) = try TestFiles.run(exe, ["train", data, run, "--resume"] + common)
        XCTAssertEqual(s1, 0, o1)
        let resumed = try Data(contentsOf: URL(fileURLWithPath: run + "/final.bin"))
        XCTAssertEqual(resumed, reference, "resumed weights differ from the uninterrupted run")
        XCTAssertFalse(
            try FileManager.default.contentsOfDirectory(atPath: run).contains { $0.contains(".tmp.") },
            "stale temp files of killed writers are removed")
        print(
            "kill/resume: 1 SIGKILL inside a checkpoint write + \(kills) at random moments (\(duringWrite) of them left a partial temp file, i.e. hit a checkpoint write); final weights bit-identical: \(resumed == reference)"
        )
    }

    /// Two ranks through mpirun, a stateful LSTM (global RNN states in every checkpoint): rank 0 SIGKILLed inside
    /// the checkpoint write after a random step, then resumed on 2 ranks ends bit-identical to an uninterrupted
    /// 2-rank run (trained in the same mpirun job), and resumed on 1 process within float tolerance.
    func testKillAndResumeOnTwoRanksThroughMPIRun() throws {
        try killAndResumeOnTwoRanks(modelFile: false)
    }

    /// The same with the stateful LSTM given as a Keras model file (its weights, run seed from `fit(seed:)`).
    func testKillAndResumeOnTwoRanksWithAModelFile() throws {
        try killAndResumeOnTwoRanks(modelFile: true)
    }

    func killAndResumeOnTwoRanks(modelFile: Bool) throws {
        let exe = TestFiles.checkExecutable
        guard let env = TestFiles.mpiEnvironment() else { throw XCTSkip("no mpirun on PATH or \(exe) not built") }
        let dir = try TestFiles.directory()
        let data = dir + "/seq.h5"
        XCTAssertEqual(try TestFiles.run(exe, ["make-data", data, "--rows", "256", "--timesteps", "4", "--chunk", "64"]).0, 0)
        var common = ["--epochs", "3", "--batch", "16", "--model", "lstm", "--mode", "stream:4096", "--mpi"]
        if modelFile {
            XCTAssertEqual(try TestFiles.run(exe, ["make-model", data, dir + "/model.h5", "--model", "lstm", "--batch", "16"]).0, 0)
            common += ["--model-file", dir + "/model.h5"]
        }
        let step = Int.random(in: 2...44)  // 48 steps in all; the kill hits the write of checkpoint step + 1
        let run = dir + "/killed", one = dir + "/killed-1rank", reference = dir + "/reference"
        var t0 = Date()
        let (sk, ok) = try TestFiles.run(
            "/usr/bin/env", ["mpirun", "-np", "2", exe, "train", data, run, "--kill-in-write-after", "\(step)"] + common,
            environment: env, timeout: 60)
        let killSeconds = Date().timeIntervalSince(t0)
        XCTAssertNotEqual(sk, 0, ok)
        XCTAssertTrue(ok.contains("signal 9"), ok)
        XCTAssertTrue(try FileManager.default.contentsOfDirectory(atPath: run).contains { $0.contains(".tmp.") }, "killed inside a write")
        try FileManager.default.copyItem(atPath: run, toPath: one)
        t0 = Date()
        let (s2, o2) = try TestFiles.run(
            "/usr/bin/env", ["mpirun", "-np", "2", exe, "train", data, run, "--resume", "--also-reference", reference] + common,
            environment: env, timeout: 60)
        let resumeSeconds = Date().timeIntervalSince(t0)
        XCTAssertEqual(s2, 0, o2)
        XCTAssertTrue(o2.contains("resuming from"), o2)
        if modelFile { XCTAssertTrue(o2.contains("starts from the model file's weights: true"), "the uninterrupted reference\n" + o2) }
        let (s1, o1) = try TestFiles.run(exe, ["train", data, one, "--resume"] + common, environment: env)
        XCTAssertEqual(s1, 0, o1)
        func weights(_ d: String) throws -> [Float] {
            let bytes = try Data(contentsOf: URL(fileURLWithPath: d + "/final.bin"))
            return bytes.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
        }
        let ref = try weights(reference), two = try weights(run), single = try weights(one)
        XCTAssertEqual(two, ref, "resumed on 2 ranks differs from the uninterrupted 2-rank run")
        let d1 = zip(single, ref).map { abs($0 - $1) }.max() ?? .infinity
        XCTAssertEqual(single.count, ref.count)
        XCTAssertLessThan(d1, 1e-5)
        print(
            String(
                format:
                    "mpirun kill/resume: rank 0 SIGKILLed inside the write after step %d (job %.2f s); resumed on 2 ranks + uninterrupted reference (job %.2f s): bit-identical %@; resumed on 1 process: max |w - w_ref| = %.3g",
                step, killSeconds, resumeSeconds, "\(two == ref)", d1))
    }
}
