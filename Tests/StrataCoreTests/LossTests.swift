import StrataCore
import TestSupport
import XCTest

final class LossTests: XCTestCase {
    private func values(_ loss: Loss, _ yTrue: Tensor, _ pred: Tensor, logits: ActivationFunction? = nil) -> (Tensor, Bool) {
        let rows = pred.count / (pred.shape.last ?? 1)
        let v = Tensor(zeros: [rows]), g = Tensor(zeros: pred.shape)
        if let logits, let l = loss as? LogitsLoss, l.consumesLogits(of: logits) {
            let p = Tensor(zeros: pred.shape)
            logits.apply(pred, into: p)
            l.compute(yTrue: yTrue, logits: pred, yPred: p, scale: 1, values: v, gradient: g)
            return (v, true)
        }
        loss.compute(yTrue: yTrue, yPred: pred, scale: 1, values: v, gradient: g)
        return (v, false)
    }

    /// Per-sample values against keras.losses.<fn>: clipped from probabilities, unclipped from logits after
    /// softmax/sigmoid as Keras's TensorFlow backend does (row 0 has logits (20, -20, 0): 40, not 16.1).
    func testValuesMatchKeras() throws {
        let f = { (name: String) in try Fixtures.npy("core_losses", name) }
        let cases: [(String, Loss, Tensor, Tensor, ActivationFunction?)] = [
            ("cce_prob", CategoricalCrossentropy(), try f("y_onehot"), try f("p"), nil),
            ("scce_prob", SparseCategoricalCrossentropy(), try f("y_sparse"), try f("p"), nil),
            ("bce_prob", BinaryCrossentropy(), try f("y_bin"), try f("p_bin"), nil),
            ("cce_logits", CategoricalCrossentropy(), try f("y_onehot"), try f("z"), .softmax),
            ("scce_logits", SparseCategoricalCrossentropy(), try f("y_sparse"), try f("z"), .softmax),
            ("bce_logits", BinaryCrossentropy(), try f("y_bin"), try f("z"), .sigmoid),
            ("mse", MeanSquaredError(), try f("reg_true"), try f("reg_pred"), nil),
            ("mae", MeanAbsoluteError(), try f("reg_true"), try f("reg_pred"), nil),
        ]
        var report: [String] = []
        for (name, loss, y, pred, act) in cases {
            let (v, usedLogits) = values(loss, y, pred, logits: act)
            XCTAssertEqual(usedLogits, act != nil, name)
            let r = Parity.assertForward(v, try f(name), "loss \(name)")
            report.append("\(name) \(String(format: "%.2f", r))")
        }
        print("PARITY losses (max error / tolerance): " + report.joined(separator: ", "))
    }

    /// Gradients against central differences, from probabilities and from logits.
    func testGradients() throws {
        let z = GradientCheck.random([4, 3], seed: 3, low: -2, high: 2)
        let p = Tensor(zeros: [4, 3])
        ActivationFunction.softmax.apply(z, into: p)
        let pb = GradientCheck.random([4, 3], seed: 4, low: 0.1, high: 0.9)
        let onehot = try Tensor([[0, 1, 0], [1, 0, 0], [0, 0, 1], [0.2, 0.3, 0.5]])
        let labels = Tensor([1, 0, 2, 2])
        let bits = try Tensor([[0, 1, 1], [1, 0, 0], [1, 1, 0], [0, 0, 1]])
        let reg = GradientCheck.random([4, 3], seed: 5)
        XCTAssertTrue(GradientCheck.check(loss: CategoricalCrossentropy(), yTrue: onehot, input: z, activation: .softmax).usedLogits)
        XCTAssertTrue(GradientCheck.check(loss: SparseCategoricalCrossentropy(), yTrue: labels, input: z, activation: .softmax).usedLogits)
        XCTAssertTrue(GradientCheck.check(loss: BinaryCrossentropy(), yTrue: bits, input: z, activation: .sigmoid).usedLogits)
        XCTAssertFalse(GradientCheck.check(loss: CategoricalCrossentropy(), yTrue: onehot, input: p).usedLogits)
        GradientCheck.check(loss: SparseCategoricalCrossentropy(), yTrue: labels, input: p)
        GradientCheck.check(loss: BinaryCrossentropy(), yTrue: bits, input: pb)
        GradientCheck.check(loss: MeanSquaredError(), yTrue: reg, input: z)
        GradientCheck.check(loss: MeanAbsoluteError(), yTrue: reg, input: z)
        // Probabilities that sum to other than 1 (Keras normalises them first).
        let scaled = try Tensor(shape: [4, 3], scalars: p.scalars.map { $0 * 1.7 })
        GradientCheck.check(loss: CategoricalCrossentropy(), yTrue: onehot, input: scaled)
        // The logits-free path through a softmax / sigmoid layer still differentiates correctly (chained by the check).
        GradientCheck.check(loss: MeanSquaredError(), yTrue: reg, input: z, activation: .softmax)
    }

    /// Three SGD steps of a small model per loss (core_loss_* fixtures): logits path after a softmax/sigmoid Dense
    /// or Activation layer, mse/mae after a linear output; then evaluate's loss and metric.
    func testTrainingMatchesKeras() throws {
        let sets = try Fixtures.manifest("core_loss_index")["sets"]!.arrayValue!.map { $0.stringValue! }
        XCTAssertEqual(sets.count, 7)
        var report: [String] = []
        for set in sets {
            let m = try Fixtures.manifest(set)
            let model = try KerasFixtureModel.make(set, inputShape: [m["input_dim"]!.intValue!], weightsPrefix: "start")
            let metrics = m["metrics"]!.arrayValue!.map { MetricSpec($0.stringValue!) }
            model.compile(
                optimizer: try Optimizers.make("sgd", arguments: m["optimizer_args"]!.objectValue!),
                loss: m["loss"]!.stringValue!, metrics: metrics)
            let x = try Fixtures.npy(set, "x"), y = try Fixtures.npy(set, "y")
            let h = try model.fit(x, y, batchSize: x.shape[0], epochs: m["steps"]!.intValue!, verbose: 0, shuffle: false)
            let ratio = Parity.assertUpdate(
                model.getWeights(), keras: try KerasFixtureModel.weights(set, prefix: "end"),
                start: try KerasFixtureModel.weights(set, prefix: "start"), set)
            for (a, b) in zip(h["loss"]!, m["step_losses"]!.arrayValue!.map { $0.doubleValue! }) {
                XCTAssertEqual(a, b, accuracy: 1e-5 * max(1, abs(b)), "\(set) step loss")
            }
            let ev = try model.evaluate(x, y, verbose: 0)
            let kev = m["evaluate"]!.objectValue!
            XCTAssertEqual(ev[0], kev["loss"]!.doubleValue!, accuracy: 1e-5, "\(set) evaluate loss")
            XCTAssertEqual(ev[1], kev[metrics[0].name]!.doubleValue!, accuracy: 1e-5, "\(set) evaluate \(metrics[0].name)")
            report.append("\(set): \(String(format: "%.1e", ratio))")
        }
        print("PARITY losses, 3 SGD steps (update ratio): " + report.joined(separator: ", "))
    }

    func testNamesAndAliases() throws {
        XCTAssertEqual(try Losses.named("mse").name, "mean_squared_error")
        XCTAssertEqual(try Losses.named("mean_absolute_error").name, "mean_absolute_error")
        XCTAssertTrue(try Losses.named("sparse_categorical_crossentropy").sparseTargets)
        XCTAssertThrowsError(try Losses.named("hinge_loss")) { e in
            XCTAssertTrue(e.localizedDescription.contains("unknown loss 'hinge_loss'"))
        }
    }
}
