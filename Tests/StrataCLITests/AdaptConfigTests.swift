import Foundation
import Strata
import TestSupport
import XCTest

@testable import StrataRun

/// `adapt: true` on a config's Normalization layer: the run adapts it on the training data before training, each
/// rank reading its shard. Checked against the mean and variance computed here from the data in Double, and 1 rank
/// against 2 (threads as ranks): the same statistics and the same trained weights.
final class AdaptConfigTests: XCTestCase {
    func config(_ layers: String, runDir: String) throws -> RunConfig {
        let path = NSTemporaryDirectory() + "strata-adapt-\(UUID().uuidString).yaml"
        let text = """
            seed: 4
            model:
            \(layers)
            data:
              synthetic: {seed: 3, x: {shape: [3]}, y: {classes: 2, one_hot: true}, train: 13}
            compile: {optimizer: {SGD: {learning_rate: 0.1}}, loss: categorical_crossentropy}
            fit: {batch_size: 4, epochs: 2, verbose: 0, shuffle: false}
            run: {dir: \(runDir)}
            """
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return try RunConfig.load(path)
    }

    let layers = """
          - Normalization: {adapt: true, input_shape: [3]}
          - Dense: {units: 2, activation: softmax}
        """

    /// Trains the config on `comm` and returns the last checkpoint's weights (rank 0 writes it).
    func train(_ comm: Communicator, runDir: String) throws -> [Tensor] {
        let runner = Runner(config: try config(layers, runDir: runDir), communicator: comm)
        try runner.train(openFile: { try Files.open($0) })
        try comm.barrier()
        return try Sequential.load(runner.latestCheckpoint).getWeights()
    }

    func testAdaptKeyAdaptsOnTheTrainingDataOverAllRanks() throws {
        let oneDir = NSTemporaryDirectory() + "strata-adapt-run-\(UUID().uuidString)"
        let one = try train(SingleProcess(), runDir: oneDir)
        // The statistics of the training data, computed here in Double.
        let runner = Runner(config: try config(layers, runDir: oneDir), communicator: SingleProcess())
        let data = try runner.dataset("train", openFile: { try Files.open($0) })!
        let x = Tensor(zeros: [data.count, 3])
        try data.read(Array(0..<data.count)[...], x: x, y: nil)
        for j in 0..<3 {
            let column = (0..<data.count).map { Double(x[flat: $0 * 3 + j]) }
            let mean = column.reduce(0, +) / Double(column.count)
            let variance = column.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(column.count)
            XCTAssertEqual(Double(one[0][flat: j]), mean, accuracy: 1e-5 * abs(mean) + 1e-6, "mean \(j)")
            XCTAssertEqual(Double(one[1][flat: j]), variance, accuracy: 1e-5 * variance + 1e-6, "variance \(j)")
        }
        let twoDir = NSTemporaryDirectory() + "strata-adapt-run-\(UUID().uuidString)"
        for (r, result) in ThreadCommunicator.run(size: 2, { try self.train($0, runDir: twoDir) }).enumerated() {
            let two = try result.get()
            for (a, b) in zip(two, one) {
                let diff = zip(a.scalars, b.scalars).map { abs($0 - $1) }.max() ?? 0
                XCTAssertLessThan(diff, 1e-5, "rank \(r) of 2: weights differ from 1 rank by \(diff)")
            }
        }
    }

    func testAdaptKeyErrorsNameTheLayer() throws {
        let dir = NSTemporaryDirectory()
        XCTAssertThrowsError(try config("  - Dense: {units: 2, adapt: true, input_shape: [3]}", runDir: dir)) {
            XCTAssertTrue("\($0.localizedDescription)".contains("adapt: true is a key of Normalization"), "\($0)")
        }
        XCTAssertThrowsError(
            try config("  - Normalization: {adapt: true, mean: [1, 2, 3], variance: [1, 1, 1], input_shape: [3]}", runDir: dir)
        ) { XCTAssertTrue("\($0.localizedDescription)".contains("both adapt: true and mean"), "\($0)") }
    }
}
