import Foundation
import Strata
import XCTest

@testable import StrataRun

/// `strata predict` / `evaluate` default to a stateful model's fixed batch size, and the errors the command prints
/// name the CLI's flags and the config's keys, never the Swift API's labels.
final class CommandWordingTests: XCTestCase {
    var dir = ""

    override func setUpWithError() throws {
        dir = NSTemporaryDirectory() + "strata-wording-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    }

    override func tearDown() { try? FileManager.default.removeItem(atPath: dir) }

    func config(_ text: String) throws -> RunConfig {
        try text.write(toFile: dir + "/run.yaml", atomically: true, encoding: .utf8)
        return try RunConfig.load(dir + "/run.yaml")
    }

    let statefulModel = """
        seed: 2
        model:
          - LSTM: {units: 3, stateful: true, batch_input_shape: [4, 2, 2]}
          - Dense: {units: 1}
        compile: {optimizer: sgd, loss: mse}
        """

    /// A stateful checkpoint (batch 4) predicts and evaluates with the commands' defaults, as the Swift API does.
    func testPredictAndEvaluateDefaultToTheFixedBatchSize() throws {
        let c = try config(
            statefulModel + """

                data:
                  synthetic: {seed: 1, x: {shape: [2, 2]}, y: {uniform: [1]}, train: 8, test: 8}
                fit: {epochs: 1, shuffle: false, verbose: 0, batch_size: 4}
                run: {dir: \(dir)/run}
                """)
        let runner = Runner(config: c, communicator: SingleProcess())
        try runner.train(openFile: Files.open)
        let checkpoint = runner.latestCheckpoint
        let x = RandomData(seed: 9).uniform([8, 2, 2])
        try HDF5.File.create(dir + "/x.h5").write("x", x)
        let predicted = try Predictions.run(
            checkpoint: checkpoint, input: dir + "/x.h5:x", output: dir + "/p.h5",
            communicator: SingleProcess())
        XCTAssertEqual(predicted.scalars, try Sequential.load(checkpoint).predict(x).scalars, "the Swift API's default batch")

        // evaluate: the config's fit.batch_size left at its default (32), the model's fixed 4 is used.
        let plain = try config(
            statefulModel + """

                data:
                  synthetic: {seed: 1, x: {shape: [2, 2]}, y: {uniform: [1]}, train: 8, test: 8}
                run: {dir: \(dir)/run}
                """)
        let score = try Runner(config: plain, communicator: SingleProcess()).evaluate(checkpoint: checkpoint, openFile: Files.open)
        let model = try Sequential.load(checkpoint)
        model.resetStates()  // evaluate takes the checkpoint's weights, not its RNN states
        let test = try XCTUnwrap(try Runner(config: plain, communicator: SingleProcess()).dataset("test", openFile: Files.open))
        XCTAssertEqual(score["loss"], try model.evaluate(test, verbose: 0)[0])

        // An explicit other batch size is an error naming the flag.
        XCTAssertThrowsError(
            try Predictions.run(
                checkpoint: checkpoint, input: dir + "/x.h5:x", output: dir + "/q.h5",
                batchSize: 8, communicator: SingleProcess())
        ) {
            let text = CommandWording(flags: ["batchSize"]).describe($0)
            XCTAssertTrue(text.contains("pass --batch-size 4"), text)
            XCTAssertFalse(text.contains("batchSize"), text)
        }
    }

    /// `strata train` names config keys: `fit.batch_size`, `fit.shuffle`, `data.transforms.y.one_hot`.
    func testTrainErrorsNameConfigKeys() throws {
        let cases: [(String, String)] = [
            (
                statefulModel
                    + "\ndata:\n  synthetic: {x: {shape: [2, 2]}, y: {uniform: [1]}, train: 8}\nfit: {batch_size: 8, shuffle: false}\n",
                "set fit.batch_size: 4 in the config"
            ),
            (
                statefulModel
                    + "\ndata:\n  synthetic: {x: {shape: [2, 2]}, y: {uniform: [1]}, train: 8}\nfit: {batch_size: 4, shuffle: true}\n",
                "set fit.shuffle: false in the config"
            ),
            (
                """
                model:
                  - Dense: {units: 10, activation: softmax, input_dim: 3}
                compile: {optimizer: sgd, loss: categorical_crossentropy}
                data:
                  synthetic: {x: {shape: [3]}, y: {classes: 7, one_hot: true}, train: 8}
                """, "data.transforms.y.one_hot: 10"
            ),
        ]
        for (yaml, expected) in cases {
            let c = try config(yaml + "\nrun: {dir: \(dir)/bad, checkpoint_every: never}\n")
            XCTAssertThrowsError(try Runner(config: c, communicator: SingleProcess()).train(openFile: Files.open)) {
                let text = CommandWording().describe($0)
                XCTAssertTrue(text.contains(expected), text)
                for api in ["batchSize", "pass shuffle:", "toCategorical"] { XCTAssertFalse(text.contains(api), text) }
                // The Swift API keeps its own words.
                let swift = ($0 as? LocalizedError)?.errorDescription ?? ""
                XCTAssertTrue(swift.contains("batchSize: 4") || swift.contains("shuffle: false") || swift.contains("toCategorical"), swift)
            }
        }
    }
}
