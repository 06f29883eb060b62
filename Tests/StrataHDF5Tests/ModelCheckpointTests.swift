import Foundation
import XCTest
import Strata

final class ModelCheckpointTests: XCTestCase {
    func testFileNamesFollowKerasPlaceholders() {
        let c = ModelCheckpoint("runs/mlp/ckpt-{epoch:02d}.h5")
        XCTAssertEqual(c.format(epoch: 6, batch: nil, logs: [:]), "runs/mlp/ckpt-07.h5")
        XCTAssertEqual(ModelCheckpoint("w-{epoch}-{val_loss:.2f}.h5").format(epoch: 0, batch: nil, logs: ["val_loss": 0.4567]), "w-1-0.46.h5")
        XCTAssertTrue(c.latestPath.hasSuffix("runs/mlp/ckpt-latest.h5"))
    }

    /// `keep: 2` leaves the two newest files plus ckpt-latest.h5, which is the newest one.
    func testKeepRotationAndLatest() throws {
        let dir = try TestFiles.directory()
        let x = TestFiles.tensor(20, 3)
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

    /// A training process SIGKILLed at random moments (often inside a checkpoint write), resumed each time,
    /// ends bit-identical to an uninterrupted run. (Single process; the 2-rank variant comes with StrataMPI.)
    func testKillAndResumeIsBitIdentical() throws {
        let exe = TestFiles.checkExecutable
        guard FileManager.default.isExecutableFile(atPath: exe) else { throw XCTSkip("\(exe) not built") }
        let dir = try TestFiles.directory()
        let data = dir + "/data.h5"
        XCTAssertEqual(try TestFiles.run(exe, ["make-data", data, "--rows", "300", "--chunk", "64", "--gzip", "1"]).0, 0)
        let common = ["--epochs", "3", "--batch", "32", "--mode", "stream:4096"]
        let (s0, o0) = try TestFiles.run(exe, ["train", data, dir + "/full"] + common)
        XCTAssertEqual(s0, 0, o0)
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
        XCTAssertFalse(try FileManager.default.contentsOfDirectory(atPath: run).contains { $0.contains(".tmp.") },
                       "stale temp files of killed writers are removed")
        print("kill/resume: 1 SIGKILL inside a checkpoint write + \(kills) at random moments (\(duringWrite) of them left a partial temp file, i.e. hit a checkpoint write); final weights bit-identical: \(resumed == reference)")
    }
}
