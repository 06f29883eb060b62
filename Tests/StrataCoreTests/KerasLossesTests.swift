import StrataCore
import TestSupport
import XCTest

/// The losses of issue 16 against Keras (lm_losses: `keras.losses.<Class>(reduction=None, **args)` values and
/// `tf.GradientTape` gradients of their sum), against central differences, and by id / class name / arguments.
final class KerasLossesTests: XCTestCase {
    private struct Case {
        let name: String
        let loss: Loss
        let yTrue: Tensor
        let yPred: Tensor
    }

    private func cases() throws -> [Case] {
        let set = "lm_losses"
        let manifest = try Fixtures.manifest(set)["cases"]!.objectValue!
        return try manifest.keys.sorted().map { name in
            let c = manifest[name]!
            let loss = try Losses.make(c["class"]!.stringValue!, arguments: c["args"]!.objectValue!)
            return Case(
                name: name, loss: loss, yTrue: try Fixtures.npy(set, c["y_true"]!.stringValue!),
                yPred: try Fixtures.npy(set, c["y_pred"]!.stringValue!))
        }
    }

    private func compute(_ c: Case) -> (values: Tensor, gradient: Tensor) {
        let rows = c.yPred.count / (c.yPred.shape.last ?? 1)
        let v = Tensor(zeros: [rows]), g = Tensor(zeros: c.yPred.shape)
        c.loss.compute(yTrue: c.yTrue, yPred: c.yPred, scale: 1, values: v, gradient: g)
        return (v, g)
    }

    /// Per-sample values and d(sum)/d(yPred) within DESIGN.md's forward tolerance of Keras's.
    func testValuesAndGradientsMatchKeras() throws {
        let all = try cases()
        XCTAssertEqual(all.count, 25)
        var report: [String] = []
        for c in all {
            let (v, g) = compute(c)
            let rv = Parity.assertForward(v, try Fixtures.npy("lm_losses", c.name + "_values"), "\(c.name) values")
            let rg = Parity.assertForward(g, try Fixtures.npy("lm_losses", c.name + "_grad"), "\(c.name) gradient")
            report.append("\(c.name) \(String(format: "%.2f/%.2f", rv, rg))")
        }
        print("PARITY issue-16 losses (value/gradient max error over tolerance): " + report.joined(separator: ", "))
    }

    /// The same gradients against central differences of our own values (independent of Keras).
    func testGradientsMatchFiniteDifferences() throws {
        var report: [String] = []
        for c in try cases() {
            let (error, _) = GradientCheck.check(loss: c.loss, yTrue: c.yTrue, input: c.yPred)
            report.append("\(c.name) \(String(format: "%.1e", error))")
        }
        print("GRADCHECK issue-16 losses: " + report.joined(separator: ", "))
    }

    func testIdsAliasesAndClassNames() throws {
        let ids: [(String, String)] = [
            ("huber", "huber"), ("Huber", "huber"), ("log_cosh", "log_cosh"), ("LogCosh", "log_cosh"),
            ("kld", "kl_divergence"), ("KLDivergence", "kl_divergence"), ("poisson", "poisson"), ("hinge", "hinge"),
            ("squared_hinge", "squared_hinge"), ("CategoricalHinge", "categorical_hinge"),
            ("cosine_similarity", "cosine_similarity"), ("mape", "mean_absolute_percentage_error"),
            ("msle", "mean_squared_logarithmic_error"), ("binary_focal_crossentropy", "binary_focal_crossentropy"),
            ("CategoricalFocalCrossentropy", "categorical_focal_crossentropy"), ("mse", "mean_squared_error"),
        ]
        for (id, name) in ids { XCTAssertEqual(try Losses.make(id).name, name, id) }
        XCTAssertEqual((try Losses.make("Huber", arguments: ["delta": 2.5]) as! Huber).delta, 2.5)
        // Keras's own config keys (name, reduction at its default, axis -1, dtype) are accepted.
        let f =
            try Losses.make(
                "BinaryFocalCrossentropy",
                arguments: [
                    "name": "binary_focal_crossentropy", "reduction": "sum_over_batch_size", "axis": -1, "dtype": nil,
                    "gamma": 3, "apply_class_balancing": true,
                ]) as! BinaryFocalCrossentropy
        XCTAssertEqual(f.gamma, 3)
        XCTAssertTrue(f.applyClassBalancing)
    }

    /// Unknown or unsupported arguments are one error naming the argument.
    func testBadArgumentsNameTheArgument() {
        let bad: [(String, [String: JSONValue], String)] = [
            ("huber", ["delt": 1], "unknown argument 'delt'"),
            ("huber", ["delta": "big"], "'delta' must be a number"),
            ("poisson", ["reduction": "sum"], "reduction"),
            ("cosine_similarity", ["axis": 0], "axis"),
            ("binary_focal_crossentropy", ["from_logits": 1], "'from_logits' must be true or false"),
            ("huber_los", [:], "unknown loss 'huber_los'"),
        ]
        for (id, args, message) in bad {
            XCTAssertThrowsError(try Losses.make(id, arguments: args), id) { e in
                XCTAssertTrue(e.localizedDescription.contains(message), "\(id): \(e.localizedDescription)")
            }
        }
    }

    /// `training_config`'s loss entry: the string id at Keras's defaults, Keras's serialized instance otherwise, and
    /// both read back to the same loss.
    func testKerasConfigRoundTrip() throws {
        XCTAssertEqual(Losses.kerasConfig(of: Huber()), "huber")
        let c = Losses.kerasConfig(of: Huber(delta: 2))
        XCTAssertEqual(c["class_name"], "Huber")
        XCTAssertEqual(c["config"]?["delta"], 2)
        XCTAssertEqual(c["config"]?["reduction"], "sum_over_batch_size")
        XCTAssertEqual((try Losses.make(kerasConfig: c) as! Huber).delta, 2)
        let focal = Losses.kerasConfig(of: CategoricalFocalCrossentropy(gamma: 1, fromLogits: true))
        let back = try Losses.make(kerasConfig: focal) as! CategoricalFocalCrossentropy
        XCTAssertEqual(back.gamma, 1)
        XCTAssertTrue(back.fromLogits)
        XCTAssertEqual(back.alpha, 0.25)
    }
}
