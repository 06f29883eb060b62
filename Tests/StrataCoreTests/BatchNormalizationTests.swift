import TestSupport
import XCTest

@testable import StrataCore

final class BatchNormalizationTests: XCTestCase {
    /// Keras fixtures (gen_norm.py): training output, moving statistics after the step, gradients, inference output.
    func testMatchesKeras() throws {
        for set in ["bn_dense", "bn_conv", "bn_axis1_nocenter", "bn_noscale"] {
            try NormalizationFixtureCheck.check(set)
        }
    }

    /// Central differences of the training-mode forward (through the batch mean and variance) and of inference.
    func testFiniteDifferenceGradients() throws {
        let cases: [(BatchNormalization, [Int])] = [
            (BatchNormalization(), [5]), (BatchNormalization(momentum: 0.5), [3, 2, 3]),
            (BatchNormalization(axis: 1, center: false), [3, 4]), (BatchNormalization(scale: false), [2, 3]),
        ]
        for (i, (layer, shape)) in cases.enumerated() {
            let error = try NormalizationFixtureCheck.finiteDifferences(layer, shape, seed: UInt64(i + 1))
            XCTAssertLessThan(error, 2e-3, "case \(i)")
        }
    }

    /// Keras's models `norm_model_mlp` (Dense, BN, relu, Dense, LayerNorm, softmax; Adam) and `norm_model_cnn` (Conv2D,
    /// BN, relu, pooling; SGD with momentum): inference predictions, the weights (moving statistics included) after
    /// 3 steps within 1e-3 of Keras's update, and the trained model's inference predictions.
    func testSmallModelsMatchKerasAfterThreeSteps() throws {
        let mlp = Sequential(
            [
                Dense(8, useBias: false, inputShape: [5]), BatchNormalization(), Activation(.relu), Dense(6), LayerNormalization(),
                Dense(3, activation: .softmax),
            ], seed: 1)
        try checkModel("norm_model_mlp", mlp, optimizer: Adam(learningRate: 0.01))
        let cnn = Sequential(
            [
                Conv2D(3, kernelSize: (3, 3), inputShape: [6, 6, 2]), BatchNormalization(momentum: 0.9),
                Activation(.relu), MaxPooling2D(poolSize: (2, 2)), Flatten(), Dense(4, activation: .softmax),
            ], seed: 1)
        try checkModel("norm_model_cnn", cnn, optimizer: SGD(learningRate: 0.1, momentum: 0.9))
    }

    private func checkModel(_ set: String, _ model: Sequential, optimizer: Optimizer) throws {
        let start = try KerasFixtureModel.weights(set, prefix: "w")
        try model.setWeights(start)
        let m = try Fixtures.manifest(set)
        XCTAssertEqual(model.parameters!.trainableCount, m["trainable_params"]!.intValue!, "\(set): Keras's trainable count")
        XCTAssertEqual(model.countParams() - model.parameters!.trainableCount, m["non_trainable_params"]!.intValue!)
        let x = try Fixtures.npy(set, "x"), y = try Fixtures.npy(set, "y")
        let pred = Parity.assertForward(try model.predict(x, batchSize: 4), try Fixtures.npy(set, "pred"), "\(set) predictions")
        model.compile(optimizer: optimizer, loss: "categorical_crossentropy")
        try model.fit(x, y, batchSize: 4, epochs: 1, verbose: 0, shuffle: false)
        let update = Parity.assertUpdate(
            model.getWeights(), keras: try KerasFixtureModel.weights(set, prefix: "trained"), start: start, set)
        let trained = Parity.assertForward(
            try model.predict(x, batchSize: 4), try Fixtures.npy(set, "pred_trained"), "\(set) trained predictions")
        print("fixture \(set): predictions \(pred), after 3 steps \(update) of Keras's update, trained predictions \(trained)")
    }

    /// The moving statistics are the layer's alone: with weight decay (AdamW), Ftrl (whose zero-gradient update moves
    /// a weight) and EMA, one step leaves `moving_mean = 0.01 mean(x)` and `moving_variance = 0.99 + 0.01 var(x)`
    /// (biased), computed here from the data.
    func testOptimizerNeverTouchesTheMovingStatistics() throws {
        let x = RandomData(seed: 4).uniform([8, 3]), y = RandomData(seed: 5).uniform([8, 2])
        for opt in [AdamW(learningRate: 0.1, weightDecay: 0.5), Ftrl(learningRate: 0.5), SGD(learningRate: 0.1).with(useEma: true)]
            as [Optimizer]
        {
            let model = Sequential([BatchNormalization(inputShape: [3]), Dense(2)], seed: 3)
            model.compile(optimizer: opt, loss: "mse")
            try model.fit(x, y, batchSize: 8, epochs: 1, verbose: 0)
            let w = model.getWeights()
            for c in 0..<3 {
                let column = (0..<8).map { Double(x[$0, c]) }
                let mean = column.reduce(0, +) / 8
                let variance = column.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / 8
                XCTAssertEqual(Double(w[2][flat: c]), 0.01 * mean, accuracy: 1e-7, "\(opt.name) moving_mean")
                XCTAssertEqual(Double(w[3][flat: c]), 0.99 + 0.01 * variance, accuracy: 1e-6, "\(opt.name) moving_variance")
            }
        }
    }

    /// DESIGN.md contract 1 with batch statistics: a BN conv net and a BN MLP end with the 1-rank weights (moving
    /// statistics included) on 2 and 3 ranks, over 3 epochs with shuffling, an uneven last batch (13 rows, batch 5:
    /// shards 1/2/2 and 1/1/1 on 3 ranks) and, for the MLP (14 rows, batch 4), a last batch of 2 rows that leaves
    /// rank 0 of 3 with no rows.
    func testOneTwoAndThreeRanksGiveTheSameWeights() throws {
        func conv(_ comm: Communicator?) throws -> [Float] {
            let d = RandomData(seed: 5)
            let x = d.uniform([13, 6, 6, 2]), y = try toCategorical(d.integers(3, count: 13), numClasses: 3)
            let m = Sequential(
                [
                    Conv2D(4, kernelSize: (3, 3), inputShape: [6, 6, 2]), BatchNormalization(momentum: 0.8),
                    Activation(.relu), MaxPooling2D(poolSize: (2, 2)), Flatten(), Dense(3, activation: .softmax),
                ], seed: 4)
            m.compile(optimizer: SGD(lr: 0.05, momentum: 0.9), loss: "categorical_crossentropy")
            try m.fit(x, y, batchSize: 5, epochs: 3, verbose: 0, communicator: comm)
            return m.getWeights().flatMap(\.scalars)
        }
        func mlp(_ comm: Communicator?) throws -> [Float] {
            let d = RandomData(seed: 6)
            let x = d.uniform([14, 5]), y = try toCategorical(d.integers(3, count: 14), numClasses: 3)
            let m = Sequential(
                [
                    BatchNormalization(inputShape: [5]), Dense(6, activation: .tanh), BatchNormalization(momentum: 0.5),
                    Dropout(0.2), Dense(3, activation: .softmax),
                ], seed: 8)
            m.compile(optimizer: "adam", loss: "categorical_crossentropy")
            try m.fit(x, y, batchSize: 4, epochs: 3, verbose: 0, communicator: comm)
            return m.getWeights().flatMap(\.scalars)
        }
        for (name, run) in [("conv", conv), ("mlp", mlp)] as [(String, (Communicator?) throws -> [Float])] {
            let one = try run(nil)
            for p in [2, 3] {
                for (r, result) in ThreadCommunicator.run(size: p, { try run($0) }).enumerated() {
                    let w = try result.get()
                    // Relative to the weights' scale (as DistributedTrainerTests): the conv bias before the BN has a
                    // zero gradient up to rounding, so its value is summation noise whose relative error means nothing.
                    let scale = one.map { abs($0) }.max()!
                    let worst = zip(w, one).map { abs($0 - $1) }.max()! / scale
                    XCTAssertLessThan(worst, 1e-5, "\(name): \(p) ranks, rank \(r): relative difference \(worst)")
                    print("rank invariance \(name): \(p) ranks, rank \(r): max relative difference \(worst)")
                }
            }
        }
    }

    func testConfigRoundTripAndRefusals() throws {
        let layer = BatchNormalization(axis: 1, momentum: 0.9, epsilon: 1e-2, center: false)
        let again = try LayerRegistry.make(className: "BatchNormalization", config: layer.config) as! BatchNormalization
        XCTAssertEqual(JSONValue.object(again.config).jsonText, JSONValue.object(layer.config).jsonText)
        func refused(_ config: [String: JSONValue], _ words: String) {
            XCTAssertThrowsError(try LayerRegistry.make(className: "BatchNormalization", config: config)) {
                XCTAssertTrue("\($0.localizedDescription)".contains(words), "\($0.localizedDescription)")
            }
        }
        refused(["renorm": true], "renorm")
        refused(["trainable": false], "trainable")
        refused(["gamma_regularizer": ["class_name": "OrthogonalRegularizer"]], "gamma_regularizer")
        refused(["kernel_regularizer": "l2"], "unknown BatchNormalization argument 'kernel_regularizer'")
        refused(["axis": [1, 2]], "axis")
        XCTAssertThrowsError(try Sequential([BatchNormalization(axis: 3, inputShape: [4, 2])]).build()) {
            XCTAssertTrue($0.localizedDescription.contains("axis 3"), $0.localizedDescription)
        }
        XCTAssertThrowsError(try Sequential([BatchNormalization(axis: 0, inputShape: [4])]).build())
    }

    /// `strata summary`'s counts: Keras's 4 weights per channel, 2 of them non-trainable.
    func testSummaryCountsNonTrainableWeights() throws {
        let model = Sequential([Dense(4, inputShape: [3]), BatchNormalization()])
        let text = try model.summaryText()
        XCTAssertTrue(text.contains("Trainable params: 24 (96.00 B)"), text)
        XCTAssertTrue(text.contains("Non-trainable params: 8 (32.00 B)"), text)
    }

    func testEmptyBatch() throws {
        let h = try LayerHarness(BatchNormalization(), inputShape: [4, 3])
        let before = h.parameters.values.copy()
        XCTAssertEqual(h.forward(Tensor(zeros: [0, 4, 3])).shape, [0, 4, 3])
        XCTAssertEqual(h.layer.backward(Tensor(zeros: [0, 4, 3]), context: h.context).shape, [0, 4, 3])
        XCTAssertEqual(h.parameters.gradients.scalars.filter { $0 != 0 }, [])
        XCTAssertEqual(h.parameters.values.scalars, before.scalars, "no rows anywhere: the moving statistics stay")
    }
}
