import Foundation
import Strata
import XCTest

@testable import StrataRun

/// `run.resume: auto` as a user meets it: the newest checkpoint damaged, the run continues from the newest intact
/// one, ending where a run resumed from that checkpoint by name ends; `strata inspect --verify DIR` reports each.
final class ResumeAutoTests: XCTestCase {
    func config(_ dir: String, epochs: Int, resume: String = "auto") throws -> RunConfig {
        let path = NSTemporaryDirectory() + "strata-config-\(UUID().uuidString).yaml"
        try """
        seed: 5
        model:
          - Dense: {units: 8, input_dim: 4, activation: relu}
          - Dropout: {rate: 0.25}
          - Dense: {units: 3, activation: softmax}
        compile: {optimizer: rmsprop, loss: categorical_crossentropy, metrics: [accuracy]}
        data:
          synthetic: {x: {shape: [4]}, y: {classes: 3, one_hot: true}, train: 48}
        fit: {epochs: \(epochs), batch_size: 8, verbose: 0}
        run: {dir: \(dir), keep: 5, resume: \(resume)}
        """.write(toFile: path, atomically: true, encoding: .utf8)
        return try RunConfig.load(path)
    }

    func train(_ c: RunConfig) throws {
        try Runner(config: c, communicator: SingleProcess()).train(openFile: Files.open)
    }

    func testResumeAutoSkipsTheDamagedNewestCheckpoint() throws {
        let base = NSTemporaryDirectory() + "strata-resume-\(UUID().uuidString)"
        let run = base + "/run", damaged = base + "/damaged", named = base + "/named"
        try train(try config(run, epochs: 2))
        XCTAssertFalse(VerifyReport.run(run).failed)
        try FileManager.default.copyItem(atPath: run, toPath: damaged)
        // One bit of ckpt-02.h5's first Dense kernel, located through HDF5 (its first chunk) and checked.
        let file = damaged + "/ckpt-02.h5"
        let (at, value): (Int, Float) = try {
            let kernel = try HDF5.File.open(file).dataset("model_weights/dense/dense/kernel:0")  // closed after this
            return (try kernel.storageRanges()[0].lowerBound + 4 * 7, try kernel.readAll()[flat: 7])
        }()
        var bytes = try Data(contentsOf: URL(fileURLWithPath: file))
        XCTAssertEqual(bytes[at..<(at + 4)].withUnsafeBytes { $0.loadUnaligned(as: Float.self) }, value)
        bytes[at] ^= 0x01
        try bytes.write(to: URL(fileURLWithPath: file))
        try FileManager.default.setAttributes([.modificationDate: Date(timeIntervalSinceNow: -60)], ofItemAtPath: damaged + "/ckpt-01.h5")

        let report = VerifyReport.run(damaged)
        XCTAssertTrue(report.failed)
        XCTAssertTrue(
            report.text.contains("FAILED      \(file)") && report.text.contains("weight 'dense/kernel:0' of layer 'dense'")
                && report.text.contains("OK          \(damaged)/ckpt-01.h5") && report.text.contains("ckpt-latest.h5 -> ckpt-02.h5"),
            report.text)

        try train(try config(damaged, epochs: 3))
        try train(try config(named, epochs: 3, resume: run + "/ckpt-01.h5"))
        let a = try Sequential.load(damaged + "/ckpt-03.h5"), b = try Sequential.load(named + "/ckpt-03.h5")
        XCTAssertEqual(a.parameters!.values.scalars, b.parameters!.values.scalars)
        XCTAssertEqual(a.optimizerState!.iterations, 18)
        XCTAssertFalse(VerifyReport.run(damaged + "/ckpt-03.h5").failed)
    }
}
