import Foundation
import Strata
import TestSupport
import XCTest

@testable import StrataRun

/// Through the `strata` command's code path (StrataRun): for every optimizer variant of the Keras fixtures, a run
/// trained from a config and checkpointed can be inspected (reporting every optimizer argument), predicted from,
/// evaluated, and resumed to the same weights as a run that never stopped.
final class OptimizerCheckpointCLITests: XCTestCase {
    func config(_ dir: String, name: String, arguments: [String: JSONValue], epochs: Int) throws -> RunConfig {
        let yaml = """
            seed: 11
            model:
              - Dense: {units: 6, activation: relu, input_dim: 4}
              - Dropout: {rate: 0.25}
              - Dense: {units: 3, activation: softmax}
            compile:
              optimizer: {\(name): \(JSONValue.object(arguments).jsonText)}
              loss: categorical_crossentropy
              metrics: [accuracy]
            data:
              synthetic: {seed: 1, x: {shape: [4]}, y: {classes: 3, one_hot: true}, train: 24, test: 8}
            fit: {epochs: \(epochs), batch_size: 6, verbose: 0}
            run: {dir: \(dir), keep: 5}
            """
        let path = dir + ".yaml"
        try yaml.write(toFile: path, atomically: true, encoding: .utf8)
        return try RunConfig.load(path)
    }

    func weights(_ checkpoint: String) throws -> [Float] {
        try Sequential.load(checkpoint, compile: false).getWeights().flatMap(\.scalars)
    }

    func testEveryOptimizerVariantThroughInspectPredictEvaluateAndResume() throws {
        let root = NSTemporaryDirectory() + "strata-optcli-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: root) }
        let x = RandomData(seed: 4).uniform([10, 4])
        let input = root + "/input.h5"
        try HDF5.File.create(input).write("x", x)
        let sets = try Fixtures.manifest("core_opt_index")["sets"]!.arrayValue!.map { $0.stringValue! }
        XCTAssertEqual(sets.count, 14)
        for set in sets {
            let m = try Fixtures.manifest(set)
            let name = m["optimizer"]!.stringValue!, arguments = m["optimizer_args"]!.objectValue!
            let expected = try Optimizers.make(name, arguments: arguments)
            // The reference: 4 epochs uninterrupted (its ckpt-02.h5 is the interrupted run's last checkpoint).
            let reference = try config(root + "/\(set)-full", name: name, arguments: arguments, epochs: 4)
            try Runner(config: reference, communicator: SingleProcess()).train(openFile: Files.open)
            let stopped = try config(root + "/\(set)", name: name, arguments: arguments, epochs: 2)
            let runner = Runner(config: stopped, communicator: SingleProcess())
            try runner.train(openFile: Files.open)
            let checkpoint = runner.latestCheckpoint

            // inspect: reads and reports every argument, never checks against a model.
            let report = try CheckpointReport.text(checkpoint)
            XCTAssertTrue(report.contains("optimizer: \(expected.name) "), report)
            XCTAssertTrue(report.contains("iterations 8,"), report)
            for key in arguments.keys where key != "name" { XCTAssertTrue(report.contains("\"\(key)\":"), "\(set): \(key)\n\(report)") }
            let saved = try XCTUnwrap(try Checkpoint.readOptimizer(try HDF5.File.open(checkpoint)), set)
            var mine = expected.config
            mine["decay"] = JSONValue(expected.decay)
            XCTAssertEqual(saved.config, mine, set)

            // predict: the file's weights, against the reference run's epoch-2 weights loaded positionally.
            let output = root + "/\(set)-p.h5"
            try Predictions.run(checkpoint: checkpoint, input: input + ":x", output: output, communicator: SingleProcess())
            let predicted = try HDF5.File.open(output).dataset("predictions").readAll()
            let epoch2 = try Runner(config: reference, communicator: SingleProcess()).makeModel()
            try epoch2.loadWeights(root + "/\(set)-full/ckpt-02.h5")
            XCTAssertEqual(predicted.scalars, try epoch2.predict(x).scalars, set)

            // evaluate: weights only, same figures as the reference's epoch-2 checkpoint.
            let score = try runner.evaluate(checkpoint: checkpoint, openFile: Files.open)
            let referenceScore = try Runner(config: reference, communicator: SingleProcess())
                .evaluate(checkpoint: root + "/\(set)-full/ckpt-02.h5", openFile: Files.open)
            XCTAssertEqual(score, referenceScore, set)

            // resume to 4 epochs: bit-identical to the uninterrupted run.
            let resumed = try config(root + "/\(set)", name: name, arguments: arguments, epochs: 4)
            try Runner(config: resumed, communicator: SingleProcess()).train(openFile: Files.open)
            XCTAssertEqual(try weights(checkpoint), try weights(root + "/\(set)-full/ckpt-latest.h5"), "\(set): resumed run")
        }
    }
}
