import Foundation
import Strata
import XCTest

@testable import StrataHDF5

/// Checkpoints that prove they are intact: every region's damage is found and named, and resuming from a run
/// directory continues from the newest checkpoint that verifies, bit-identical to resuming from it directly.
final class CheckpointIntegrityTests: XCTestCase {
    var x = Tensor(zeros: [1])
    var y = Tensor(zeros: [1])

    override func setUpWithError() throws {
        x = try TestFiles.tensor(40, 4)
        y = try toCategorical((0..<40).map { x[$0, 0] > 0 ? 1 : (x[$0, 1] > 0 ? 2 : 0) }, numClasses: 3)
    }

    func model() -> Sequential {
        let m = Sequential([Dense(6, activation: .relu, inputShape: [4]), Dropout(0.2), Dense(3, activation: .softmax)], seed: 11)
        m.compile(optimizer: Adam(learningRate: 0.02), loss: "categorical_crossentropy", metrics: ["accuracy"])
        return m
    }

    /// A run directory with ckpt-01.h5 and ckpt-02.h5 (2 epochs).
    func trainedRun() throws -> String {
        let dir = try TestFiles.directory()
        try model().fit(
            TensorDataset(x: x, y: y), batchSize: 8, epochs: 2, verbose: 0,
            callbacks: [ModelCheckpoint(dir + "/ckpt-{epoch:02d}.h5")])
        return dir
    }

    func text(_ e: Error) -> String { (e as? LocalizedError)?.errorDescription ?? "\(e)" }

    /// Where an object's bytes are in the file, found through HDF5 (never guessed) and checked against its values.
    func datasetOffset(_ file: String, _ name: String) throws -> Int {
        let d = try HDF5.File.open(file).dataset(name)
        let ranges = try d.storageRanges()
        XCTAssertTrue(d.hasFletcher32, name)
        // The values as stored (little-endian float32, or int64 for the counters).
        let values: Data
        if d.kind == .integer {
            values = try d.readInt64s().withUnsafeBytes { Data($0) }
        } else {
            let t = try d.readAll()
            values = withExtendedLifetime(t) { Data(bytes: t.pointer, count: 4 * t.count) }
        }
        let bytes = try Data(contentsOf: URL(fileURLWithPath: file))
        XCTAssertEqual(
            Array(bytes[ranges[0].lowerBound..<(ranges[0].lowerBound + min(values.count, ranges[0].count - 4))]),
            Array(values.prefix(ranges[0].count - 4)), "the chunk of \(name) holds its values")
        return ranges[0].lowerBound + min(values.count, ranges[0].count - 4) / 2
    }

    /// Where a string attribute's text is in the file (HDF5 keeps variable-length strings in its global heap): its
    /// one occurrence.
    func attributeOffset(_ file: String, _ object: String, _ name: String) throws -> Int {
        let f = try HDF5.File.open(file)
        let value = try (object == "/" ? f : f.group(object)).string(name)!
        let bytes = try Data(contentsOf: URL(fileURLWithPath: file))
        let needle = Data(value.utf8)
        var found: [Int] = []
        var from = bytes.startIndex
        while let r = bytes.range(of: needle, in: from..<bytes.endIndex) { found.append(r.lowerBound); from = r.lowerBound + 1 }
        XCTAssertEqual(found.count, 1, "\(object)@\(name) occurs once in the file")
        return found[0] + needle.count / 2
    }

    func flip(_ file: String, at offset: Int) throws {
        var bytes = try Data(contentsOf: URL(fileURLWithPath: file))
        bytes[offset] ^= 0x01  // the lowest bit: the smallest damage there is
        try bytes.write(to: URL(fileURLWithPath: file))
    }

    func truncate(_ file: String, to size: Int) throws {
        let h = try FileHandle(forUpdating: URL(fileURLWithPath: file))
        try h.truncate(atOffset: UInt64(size))
        try h.close()
    }

    /// One byte flipped in a weight, an optimizer slot, the training state (a dataset and an attribute), the model
    /// config, the recorded digest and a weight's HDF5 object header, and the file truncated at several points: each found by `verify`, by loading, and skipped by
    /// resuming from the run directory, which ends bit-identical to resuming from ckpt-01.h5 directly.
    func testEveryRegionDamageIsFoundAndResumeFallsBackToTheNewestIntact() throws {
        let run = try trainedRun()
        let pristine = run + "/ckpt-02.h5"
        let slot = try HDF5.File.open(pristine).group("strata_training_state").strings("optimizer_slot_names")[0]
        let size = try Data(contentsOf: URL(fileURLWithPath: pristine)).count
        let cases: [(String, (String) throws -> Void, String)] =
            [
                (
                    "weight", { try self.flip($0, at: try self.datasetOffset($0, "model_weights/dense/dense/kernel:0")) },
                    "weight 'dense/kernel:0' of layer 'dense'"
                ),
                (
                    "optimizer slot",
                    { try self.flip($0, at: try self.datasetOffset($0, "strata_training_state/optimizer_slots/\(slot)")) },
                    "optimizer slot '\(slot)'"
                ),
                (
                    "training state dataset", { try self.flip($0, at: try self.datasetOffset($0, "strata_training_state/counters")) },
                    "the training state (dataset /strata_training_state/counters)"
                ),
                (
                    "training state attribute",
                    { try self.flip($0, at: try self.attributeOffset($0, "strata_training_state", "optimizer_config")) },
                    "the training state (attribute 'optimizer_config'"
                ),
                (
                    "model config", { try self.flip($0, at: try self.attributeOffset($0, "/", "model_config")) },
                    "the model config (root attribute model_config) does not match"
                ),
                (
                    "recorded digest", { try self.flip($0, at: try self.attributeOffset($0, "/", CheckpointDigest.attribute)) },
                    "the recorded checksums (root attribute strata_digest) are themselves damaged"
                ),
                (
                    "a weight's object header (HDF5 metadata)",
                    {
                        try self.flip($0, at: try HDF5.File.open($0).dataset("model_weights/dense_1/dense_1/kernel:0").headerAddress() + 30)
                    },
                    "weight 'dense_1/kernel:0' of layer 'dense_1' (dataset /model_weights/dense_1/dense_1/kernel:0) cannot be read: HDF5 cannot open it"
                ),
            ]
            + [100, size / 3, 2 * size / 3, size - 1].map { n in
                ("truncated to \(n) bytes", { try self.truncate($0, to: n) }, "truncated")
            }
        // The reference: resumed from the intact ckpt-01.h5 directly.
        let reference = model()
        try reference.fit(TensorDataset(x: x, y: y), batchSize: 8, epochs: 3, verbose: 0, resumeFrom: run + "/ckpt-01.h5")
        for (name, damage, expected) in cases {
            let dir = try TestFiles.directory()
            try FileManager.default.copyItem(atPath: run + "/ckpt-01.h5", toPath: dir + "/ckpt-01.h5")
            try FileManager.default.copyItem(atPath: pristine, toPath: dir + "/ckpt-02.h5")
            try damage(dir + "/ckpt-02.h5")
            try FileManager.default.setAttributes([.modificationDate: Date(timeIntervalSinceNow: -60)], ofItemAtPath: dir + "/ckpt-01.h5")
            for read in [{ _ = try CheckpointDigest.verify(path: dir + "/ckpt-02.h5") }, { _ = try Sequential.load(dir + "/ckpt-02.h5") }] {
                XCTAssertThrowsError(try read(), name) {
                    XCTAssertTrue(self.text($0).contains("ckpt-02.h5") && self.text($0).contains(expected), "\(name): \(self.text($0))")
                }
            }
            let choice = try CheckpointSelection.choose(dir)
            XCTAssertEqual(choice.path, dir + "/ckpt-01.h5", name)
            XCTAssertEqual(choice.skipped.map(\.path), [dir + "/ckpt-02.h5"], name)
            XCTAssertTrue(choice.skipped.first?.reason.contains(expected) == true, "\(name): \(choice.skipped)")
            print("damage '\(name)': \(choice.skipped.first?.reason ?? "")")
            let resumed = model()
            try resumed.fit(TensorDataset(x: x, y: y), batchSize: 8, epochs: 3, verbose: 0, resumeFrom: dir)
            XCTAssertEqual(resumed.parameters!.values.scalars, reference.parameters!.values.scalars, name)
            XCTAssertEqual(resumed.optimizerState!.iterations, 15, name)
        }
    }

    /// Every dataset of a checkpoint carries Fletcher32; the digest covers every object; a file written without
    /// checksums (as older Strata did) loads, reported as unverified rather than as an error.
    func testChecksumsCoverEverythingAndOldFilesStillLoad() throws {
        let run = try trainedRun()
        let v = try CheckpointDigest.verify(path: run + "/ckpt-02.h5")
        XCTAssertTrue(v.isVerified)
        var datasets = 0
        try CheckpointDigest.walk(try HDF5.File.open(run + "/ckpt-02.h5"), readingGuarded: false) { key, _ in
            if !key.hasSuffix("/") && !key.contains("@") {
                datasets += 1
                let d = try HDF5.File.open(run + "/ckpt-02.h5").dataset(key)
                if d.count > 0 { XCTAssertTrue(d.hasFletcher32, key) }
            }
        }
        XCTAssertGreaterThan(datasets, 8)
        XCTAssertGreaterThan(v.objects, datasets)
        let m = try Sequential.load(run + "/ckpt-02.h5")
        try Checkpoint.write(m, to: run + "/old.h5", checksums: false)
        let old = try CheckpointDigest.verify(path: run + "/old.h5")
        XCTAssertFalse(old.isVerified)
        XCTAssertTrue(old.summary.contains("no checksums"), old.summary)
        XCTAssertEqual(try Sequential.load(run + "/old.h5").parameters!.values.scalars, m.parameters!.values.scalars)
    }

    /// ckpt-latest.h5 is a symbolic link: truncating it damages the newest checkpoint only, and resuming from the
    /// directory falls back to ckpt-01.h5. A directory where nothing verifies is one error listing every file.
    func testLatestIsALinkAndADirectoryWithNothingIntactIsAnError() throws {
        let run = try trainedRun()
        XCTAssertEqual(try FileManager.default.destinationOfSymbolicLink(atPath: run + "/ckpt-latest.h5"), "ckpt-02.h5")
        try truncate(run + "/ckpt-latest.h5", to: 1000)
        XCTAssertTrue(try CheckpointDigest.verify(path: run + "/ckpt-01.h5").isVerified)
        XCTAssertEqual(try CheckpointSelection.choose(run).path, run + "/ckpt-01.h5")
        try flip(run + "/ckpt-01.h5", at: try datasetOffset(run + "/ckpt-01.h5", "model_weights/dense_1/dense_1/bias:0"))
        XCTAssertThrowsError(try model().fit(TensorDataset(x: x, y: y), batchSize: 8, epochs: 3, verbose: 0, resumeFrom: run)) {
            let t = self.text($0)
            XCTAssertTrue(
                t.contains("no checkpoint in this directory verifies") && t.contains("ckpt-01.h5") && t.contains("ckpt-02.h5")
                    && t.contains("weight 'dense_1/bias:0'"), t)
        }
    }

    /// Two ranks through mpirun, checkpoints on "rank 0's disk" only (rank 1 is given a directory that does not
    /// exist): the newest checkpoint damaged, rank 0 skips it, says why, and both ranks resume from the bytes of
    /// ckpt-01.h5 rank 0 read, ending bit-identical to an uninterrupted 2-rank run.
    func testTwoRanksFollowRankZeroPastADamagedCheckpoint() throws {
        let exe = TestFiles.checkExecutable
        guard let env = TestFiles.mpiEnvironment() else { throw XCTSkip("no mpirun on PATH or \(exe) not built") }
        let dir = try TestFiles.directory()
        let data = dir + "/data.h5", run = dir + "/run", reference = dir + "/reference"
        XCTAssertEqual(try TestFiles.run(exe, ["make-data", data, "--rows", "96"]).0, 0)
        let common = ["--batch", "16", "--freq", "epoch", "--keep", "5", "--mpi"]
        let (s1, o1) = try TestFiles.run(
            "/usr/bin/env", ["mpirun", "-np", "2", exe, "train", data, run, "--epochs", "2"] + common,
            environment: env, timeout: 120)
        XCTAssertEqual(s1, 0, o1)
        try flip(run + "/ckpt-02.h5", at: try datasetOffset(run + "/ckpt-02.h5", "model_weights/dense/dense/kernel:0"))
        try FileManager.default.setAttributes([.modificationDate: Date(timeIntervalSinceNow: -60)], ofItemAtPath: run + "/ckpt-01.h5")
        let (s2, o2) = try TestFiles.run(
            "/usr/bin/env",
            [
                "mpirun", "-np", "2", exe, "train", data, run, "--epochs", "3", "--resume",
                "--files-on-rank0-only", "--also-reference", reference,
            ] + common,
            environment: env, timeout: 120)
        XCTAssertEqual(s2, 0, o2)
        XCTAssertTrue(o2.contains("strata: skipped \(run)/ckpt-02.h5") && o2.contains("Fletcher32"), o2)
        XCTAssertEqual(o2.components(separatedBy: "strata: skipped").count, 2, "only rank 0 reports: \(o2)")
        let resumed = try Data(contentsOf: URL(fileURLWithPath: run + "/final.bin"))
        XCTAssertEqual(resumed, try Data(contentsOf: URL(fileURLWithPath: reference + "/final.bin")))
    }

    /// SHA-256 against FIPS 180-2's examples, fed whole and in uneven pieces.
    func testSHA256MatchesTheStandardsVectors() {
        XCTAssertEqual(SHA256.hex(of: [UInt8]()), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        XCTAssertEqual(SHA256.hex(of: Array("abc".utf8)), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        let long = Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8)
        XCTAssertEqual(SHA256.hex(of: long), "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        let million = [UInt8](repeating: UInt8(ascii: "a"), count: 1_000_000)
        var s = SHA256()
        var i = 0
        for n in [1, 63, 64, 65, 1000, 7] + Array(repeating: 99_999, count: 10) where i < million.count {
            s.update(million[i..<min(i + n, million.count)])
            i += n
        }
        s.update(million[min(i, million.count)...])
        XCTAssertEqual(SHA256.hex(s.finalize()), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }
}
