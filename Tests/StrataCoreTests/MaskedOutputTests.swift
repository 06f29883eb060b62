import TestSupport
import XCTest

@testable import StrataCore

/// Models whose OUTPUT carries a timestep mask (Masking / Embedding(maskZero: true) -> a recurrent layer with
/// returnSequences -> Dense or TimeDistributed(Dense)): the loss, its gradients and the mean metrics are weighted by
/// the mask as Keras weights them, with and without sample weights, against Keras (Tests/Fixtures/gen_mask.py: 7
/// padded rows, one fully masked; evaluate and fit with batch 3, so batches of 3, 3 and 1), and 1 vs 2 vs 3 ranks.
/// Two sets pass the mask through BatchNormalization (training moments over the kept steps), LayerNormalization
/// and LeakyReLU, one of them to a GRU that ends it.
final class MaskedOutputTests: XCTestCase {
    static let sets = [
        "mask_embedding_gru_scce", "mask_masking_bidir_mse", "mask_masking_rnn_binary", "mask_masking_bn_ln_lstm",
        "mask_masking_leaky_bn_gru",
    ]

    /// The fixture's model with Keras's starting weights, compiled as Keras compiled it (`optimizer` by default the
    /// fixture's: Adam(0.01), or SGD(0.1) for the Embedding set).
    private func kerasModel(_ set: String, optimizer given: Optimizer? = nil) throws -> Sequential {
        let m = try Fixtures.manifest(set)
        let optimizer = given ?? (m["optimizer"]!.stringValue == "sgd" ? SGD(learningRate: Float(0.1)) : Adam(learningRate: Float(0.01)))
        let model = try ModelConfig(json: m["model"]!, kerasVersion: "3.15.1").makeModel(seed: 1)
        try model.build()
        try model.setWeights(KerasFixtureModel.weights(set, prefix: "w"))
        let specs = { (key: String) in m[key]!.arrayValue!.map { MetricSpec($0.stringValue!) } }
        model.compile(
            optimizer: optimizer, loss: m["loss_name"]!.stringValue!, metrics: specs("metrics"),
            weightedMetrics: specs("weighted_metrics"))
        return model
    }

    func testPredictionsMatchKerasAndOutputCarriesMask() throws {
        for set in Self.sets {
            let model = try kerasModel(set)
            XCTAssertEqual(model.outputCarriesMask, set != "mask_masking_leaky_bn_gru", set)
            Parity.assertClose(
                try model.predict(try Fixtures.npy(set, "x"), batchSize: 7), try Fixtures.npy(set, "pred"),
                absolute: 1e-5, relative: 1e-4, "\(set) prediction")
        }
    }

    /// One SGD step with learning rate 1 from Keras's weights moves each weight by minus its gradient, so `w0 - w1`
    /// is Strata's gradient of the masked batch loss, without and with sample weights; the step's History gives the loss.
    func testMaskedLossAndGradientsMatchKeras() throws {
        var report: [String] = []
        for set in Self.sets {
            for weighted in [false, true] {
                let model = try kerasModel(set, optimizer: SGD(learningRate: Float(1)))
                let x = try Fixtures.npy(set, "x"), y = try Fixtures.npy(set, "y")
                let sw = weighted ? try Fixtures.npy(set, "sw") : nil
                let start = model.getWeights()
                let h = try model.fit(x, y, batchSize: 7, epochs: 1, verbose: 0, shuffle: false, sampleWeight: sw)
                let loss = h["loss"]![0]  // in training mode (BatchNormalization's batch moments), as Keras's
                let kerasLoss = Double(try Fixtures.npy(set, weighted ? "loss_sw" : "loss")[flat: 0])
                XCTAssertEqual(loss, kerasLoss, accuracy: 1e-5 * max(1, abs(kerasLoss)), "\(set) loss (weighted: \(weighted))")
                var worst: Float = 0
                // Keras's gradients are those of the trainable weights (not BatchNormalization's moving statistics).
                let trainable = model.parameters!.handles.map(\.trainable)
                let pairs = zip(start, model.getWeights()).enumerated().filter { trainable[$0.offset] }.map(\.element)
                for (i, (w0, w1)) in pairs.enumerated() {
                    let g = Tensor(zeros: w0.shape)
                    for k in 0..<g.count { g[flat: k] = w0[flat: k] - w1[flat: k] }
                    let name = (weighted ? "gs" : "g") + "\(i)"
                    worst = max(worst, Parity.assertClose(g, try Fixtures.npy(set, name), absolute: 2e-5, relative: 1e-3, "\(set) \(name)"))
                }
                report.append(
                    "\(set)\(weighted ? " weighted" : ""): |loss - Keras| \(abs(loss - kerasLoss)), max |gradient - Keras| \(worst)")
            }
        }
        print("PARITY masked output loss/gradients: " + report.joined(separator: "; "))
    }

    func testThreeOptimizerStepsMatchKeras() throws {
        for set in Self.sets {
            let model = try kerasModel(set)
            let start = model.getWeights()
            try model.fit(try Fixtures.npy(set, "x"), try Fixtures.npy(set, "y"), batchSize: 7, epochs: 3, verbose: 0, shuffle: false)
            let ratio = Parity.assertUpdate(
                model.getWeights(), keras: try KerasFixtureModel.weights(set, prefix: "e"), start: start, "\(set) after 3 steps")
            print("PARITY \(set): 3 optimizer steps, max|w - w_keras| / max|update| = \(ratio)")
        }
    }

    /// `fit` from Keras's weights for 2 epochs of batches 3, 3, 1 with sample weights and validation data.
    private func run(_ set: String, communicator: Communicator? = nil) throws -> (
        model: Sequential, history: History, evaluate: [Double], evaluateWeighted: [Double]
    ) {
        let model = try kerasModel(set)
        let x = try Fixtures.npy(set, "x"), y = try Fixtures.npy(set, "y"), sw = try Fixtures.npy(set, "sw")
        let evaluate = try model.evaluate(x, y, batchSize: 3, verbose: 0, communicator: communicator)
        let evaluateWeighted = try model.evaluate(x, y, batchSize: 3, verbose: 0, sampleWeight: sw, communicator: communicator)
        let xv = Tensor(zeros: x.shape), yv = Tensor(zeros: y.shape)  // Keras's validation: the rows reversed
        for r in 0..<7 {
            Kernels.copy(x.rows(r..<(r + 1)), into: xv.rows((6 - r)..<(7 - r)))
            Kernels.copy(y.rows(r..<(r + 1)), into: yv.rows((6 - r)..<(7 - r)))
        }
        let h = try model.fit(
            x, y, batchSize: 3, epochs: 2, verbose: 0, validationData: (xv, yv), shuffle: false, sampleWeight: sw, seed: 1,
            communicator: communicator)
        return (model, h, evaluate, evaluateWeighted)
    }

    /// Keras's per-batch masked loss averaged over the epoch by batch size, the masked mean metrics (weighted by
    /// `w m` for `weighted_accuracy`), and Precision / AUC, which Keras does not mask.
    func testEvaluateAndTwoEpochsMatchKeras() throws {
        var report: [String] = []
        for set in Self.sets {
            let m = try Fixtures.manifest(set)
            let (model, h, ev, evw) = try run(set)
            let names = ["loss"] + model.metrics.map(\.name)
            var worst = 0.0
            for (ours, key) in [(ev, "evaluate"), (evw, "evaluate_sw")] {
                let keras = m[key]!.objectValue!
                for (value, name) in zip(ours, names) {
                    let k = keras[name]!.doubleValue!
                    worst = max(worst, abs(value - k))
                    XCTAssertEqual(value, k, accuracy: 2e-5 * max(1, abs(k)), "\(set) \(key) \(name)")
                }
            }
            for (key, values) in m["history"]!.objectValue! {
                let ours = try XCTUnwrap(h[key], "\(set): no \(key) in History")
                for (a, b) in zip(ours, values.arrayValue!.map { $0.doubleValue! }) {
                    worst = max(worst, abs(a - b))
                    XCTAssertEqual(a, b, accuracy: 5e-5 * max(1, abs(b)), "\(set) history \(key)")
                }
            }
            let ratio = Parity.assertUpdate(
                model.getWeights(), keras: try KerasFixtureModel.weights(set, prefix: "f"),
                start: try KerasFixtureModel.weights(set, prefix: "w"), "\(set) after 2 epochs")
            report.append("\(set): figures max |diff| \(String(format: "%.1e", worst)), weights \(String(format: "%.1e", ratio))")
        }
        print("PARITY masked output evaluate + 2 weighted epochs: " + report.joined(separator: "; "))
    }

    /// The kept count is summed over ranks (the third rank has no row in the last batch of 1): same weights,
    /// History and evaluate on 1, 2 and 3 ranks.
    func testRankInvariance() throws {
        var report: [String] = []
        for set in Self.sets {
            let worst = try RankInvariance.worstDifference { comm in
                let r = try self.run(set, communicator: comm)
                return RankInvariance.Outcome(model: r.model, history: r.history, figures: r.evaluate + r.evaluateWeighted)
            }
            XCTAssertLessThan(worst, 1e-5, "\(set): 2 or 3 ranks differ from 1 rank by \(worst) (relative)")
            report.append("\(set) \(String(format: "%.1e", worst))")
        }
        print("RANKS masked output, max relative difference 2-3 ranks vs 1: " + report.joined(separator: ", "))
    }

    /// A rank without rows joins the kept count's all-reduce between the synchronized BatchNormalization's forward
    /// and backward ones, in the order the other ranks make them (a BN after the first layer, so it reduces in backward too, and before the Masking; the last batch of 1 row
    /// leaves ranks empty on 2 and 3 ranks).
    func testRankInvarianceWithBatchStatisticsAndEmptyRanks() throws {
        let worst = try RankInvariance.worstDifference { comm in
            let d = RandomData(seed: 21)
            let x = d.uniform([7, 5, 1]), y = d.uniform([7, 5, 2])
            for i in 0..<x.count { x[flat: i] -= 0.5 }
            let model = Sequential(
                [
                    Dense(2, inputShape: [5, 1]), BatchNormalization(), Activation(.relu), Masking(maskValue: 0),
                    SimpleRNN(3, returnSequences: true), Dense(2),
                ], seed: 4)
            model.compile(optimizer: SGD(learningRate: 0.1), loss: "mse", metrics: ["mae"])
            XCTAssertTrue(model.outputCarriesMask)
            let h = try model.fit(
                x, y, batchSize: 3, epochs: 3, verbose: 0, validationSplit: 0.3, shuffle: true, seed: 2, communicator: comm)
            return RankInvariance.Outcome(
                model: model, history: h, figures: try model.evaluate(x, y, batchSize: 3, verbose: 0, communicator: comm))
        }
        print("RANKS masked output after BatchNormalization, empty ranks: \(worst)")
        XCTAssertLessThan(worst, 1e-5)
    }

    /// A masked output with more than one value per timestep cannot be weighted per timestep (Keras fails too).
    func testMaskedOutputOfMoreAxesIsAClearError() throws {
        let model = Sequential(
            [
                Masking(maskValue: 0, inputShape: [4, 6]), LSTM(6, returnSequences: true),
                TimeDistributed(Reshape([3, 2])),
            ], seed: 1)
        model.compile(optimizer: "sgd", loss: "mse")
        XCTAssertThrowsError(try model.fit(Tensor(zeros: [2, 4, 6], repeating: 1), Tensor(zeros: [2, 4, 3, 2]), verbose: 0)) { e in
            XCTAssertTrue(e.localizedDescription.contains("timestep mask"), e.localizedDescription)
        }
    }
}
