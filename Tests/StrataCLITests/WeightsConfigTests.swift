import Foundation
import StrataCore
import StrataHDF5
import XCTest

@testable import StrataRun

/// Issue 16 in YAML: a loss with arguments (`loss: {Huber: {delta: 0.5}}`), metrics with arguments, a
/// `sample_weight` dataset in `data.train` / `data.validation` and `fit.class_weight`: the run equals the same run
/// written with the Swift API.
final class WeightsConfigTests: XCTestCase {
    let dir = NSTemporaryDirectory() + "strata-weights-\(UUID().uuidString)"

    override func setUpWithError() throws { try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true) }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(atPath: dir) }

    private func config(_ text: String) throws -> RunConfig {
        let path = dir + "/c.yaml"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return try RunConfig.load(path)
    }

    func testYAMLWeightsLossAndMetricsEqualTheSwiftRun() throws {
        let d = RandomData(seed: 5)
        let x = d.uniform([10, 3]), y = d.uniform([10, 2]), w = d.uniform([10])
        let xv = d.uniform([6, 3]), yv = d.uniform([6, 2]), wv = d.uniform([6])
        let file = try HDF5.File.create(dir + "/data.h5")
        for (name, t) in [("x", x), ("y", y), ("w", w), ("xv", xv), ("yv", yv), ("wv", wv)] { try file.write(name, t) }
        let c = try config(
            """
            seed: 3
            model:
              - Dense: {units: 2, input_dim: 3}
            compile:
              optimizer: {SGD: {learning_rate: 0.2}}
              loss: {Huber: {delta: 0.5}}
              metrics: [mae, {Precision: {thresholds: 0.4, name: p40}}]
              weighted_metrics: [mae]
            data:
              train: {file: \(dir)/data.h5, x: x, y: y, sample_weight: w}
              validation: {file: \(dir)/data.h5, x: xv, y: yv, sample_weight: wv}
            fit: {epochs: 2, batch_size: 4, shuffle: false, verbose: 0}
            run: {dir: \(dir)/run, checkpoint_every: never}
            """)
        XCTAssertEqual(c.lossArguments["delta"], 0.5)
        let h = try Runner(config: c, communicator: SingleProcess()).train(openFile: Files.open)

        let model = Sequential([Dense(2, inputDim: 3)], seed: 3)
        model.compile(
            optimizer: SGD(learningRate: 0.2), loss: Huber(delta: 0.5),
            metrics: ["mae", .metric(Precision(thresholds: 0.4, name: "p40"))], weightedMetrics: ["mae"])
        let hs = try model.fit(
            x, y, batchSize: 4, epochs: 2, verbose: 0, validationData: (xv, yv), validationSampleWeight: wv,
            shuffle: false, sampleWeight: w, seed: 3)
        XCTAssertEqual(Set(h.history.keys), ["loss", "mae", "p40", "weighted_mae", "val_loss", "val_mae", "val_p40", "val_weighted_mae"])
        for (key, values) in hs.history { XCTAssertEqual(h[key]!, values, key) }
    }

    func testClassWeightFromYAML() throws {
        let c = try config(
            """
            seed: 1
            model:
              - Dense: {units: 3, input_dim: 4, activation: softmax}
            compile: {optimizer: sgd, loss: sparse_categorical_crossentropy, metrics: [accuracy]}
            data:
              synthetic: {seed: 2, x: {shape: [4]}, y: {classes: 3}, train: 12}
            fit: {epochs: 1, batch_size: 5, shuffle: false, verbose: 0, class_weight: {0: 1.0, 1: 5.0}}
            run: {dir: \(dir)/run, checkpoint_every: never}
            """)
        XCTAssertEqual(c.classWeight, [0: 1, 1: 5])
        let runner = Runner(config: c, communicator: SingleProcess())
        let h = try runner.train(openFile: Files.open)
        let data = try runner.dataset("train", openFile: Files.open)!
        let model = Sequential([Dense(3, activation: .softmax, inputDim: 4)], seed: 1)
        model.compile(optimizer: "sgd", loss: "sparse_categorical_crossentropy", metrics: ["accuracy"])
        let hs = try model.fit(data, batchSize: 5, epochs: 1, verbose: 0, shuffle: false, classWeight: [0: 1, 1: 5], seed: 1)
        XCTAssertEqual(h["loss"]!, hs["loss"]!)
        let unweighted = Sequential([Dense(3, activation: .softmax, inputDim: 4)], seed: 1)
        unweighted.compile(optimizer: "sgd", loss: "sparse_categorical_crossentropy")
        XCTAssertNotEqual(try unweighted.fit(data, batchSize: 5, epochs: 1, verbose: 0, shuffle: false, seed: 1)["loss"]!, h["loss"]!)
    }

    func testBadEntriesNameTheKey() throws {
        let base = "model:\n  - Dense: {units: 1, input_dim: 2}\ndata:\n  synthetic: {x: {shape: [2]}, y: {classes: 2}, train: 4}\n"
        let bad = [
            ("compile: {loss: {Huber: {delt: 1}}}", "unknown argument 'delt'"),
            ("compile: {loss: mse, metrics: [{AUC: {curve: ROCK}}]}", "curve 'ROCK'"),
            ("fit: {class_weight: {a: 1}}", "class_weight key 'a'"),
            ("fit: {class_weight: {0: -1}}", "must be >= 0"),
        ]
        for (text, expected) in bad {
            XCTAssertThrowsError(try config(base + text)) { e in
                XCTAssertTrue((e as! ConfigError).errorDescription!.contains(expected), "\(e)")
            }
        }
    }
}
