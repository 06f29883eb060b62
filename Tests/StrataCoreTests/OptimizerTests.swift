import StrataCore
import TestSupport
import XCTest

/// Every optimizer (and variant) against Keras 3: the same Dense(4, tanh) -> Dense(2, softmax) model, the same
/// weights, three whole-batch steps of categorical crossentropy (core_opt_* fixtures, gen_core.py).
final class OptimizerTests: XCTestCase {
    func testThreeStepsMatchKeras() throws {
        let sets = try Fixtures.manifest("core_opt_index")["sets"]!.arrayValue!.map { $0.stringValue! }
        XCTAssertEqual(sets.count, 14)
        var report: [String] = []
        for set in sets {
            let m = try Fixtures.manifest(set)
            let model = try KerasFixtureModel.make(set, inputShape: [m["input_dim"]!.intValue!], weightsPrefix: "start")
            let opt = try Optimizers.make(m["optimizer"]!.stringValue!, arguments: m["optimizer_args"]!.objectValue!)
            model.compile(optimizer: opt, loss: m["loss"]!.stringValue!, metrics: ["accuracy"])
            let x = try Fixtures.npy(set, "x"), y = try Fixtures.npy(set, "y")
            let steps = m["steps"]!.intValue!
            let h = try model.fit(x, y, batchSize: x.shape[0], epochs: steps, verbose: 0, shuffle: false)
            let ratio = Parity.assertUpdate(
                model.getWeights(), keras: try KerasFixtureModel.weights(set, prefix: "end"),
                start: try KerasFixtureModel.weights(set, prefix: "start"), set)
            let kerasLosses = m["step_losses"]!.arrayValue!.map { $0.doubleValue! }
            for (a, b) in zip(h["loss"]!, kerasLosses) { XCTAssertEqual(a, b, accuracy: 1e-5 * max(1, abs(b)), "\(set) step loss") }
            report.append("\(set): \(String(format: "%.1e", ratio))")
        }
        print("PARITY optimizers (max|w-w_keras| / max|w_keras-w_start| after 3 steps): " + report.joined(separator: ", "))
    }

    /// Keras 2's `decay`: `lr / (1 + decay * t)`, t the iterations before the update.
    func testLegacyDecayClosedForm() {
        let sgd = SGD(lr: 0.01, decay: 1e-6, momentum: 0.9, nesterov: true)
        XCTAssertEqual(sgd.effectiveLearningRate(iteration: 0), 0.01)
        XCTAssertEqual(Double(sgd.effectiveLearningRate(iteration: 1_000_000)), 0.005, accuracy: 1e-9)
        // One plain SGD step with decay at t = 2 in closed form: p -= lr / (1 + 2 decay) * g.
        let opt = SGD(learningRate: 0.5, decay: 0.25)
        let p = Tensor([1, -2]), g = Tensor([0.5, 1])
        var scalars: [Double] = []
        opt.update(values: p, gradients: g, slots: [], scalars: &scalars, iteration: 2, lr: opt.effectiveLearningRate(iteration: 2))
        XCTAssertEqual(p[0], 1 - 0.5 / 1.5 * 0.5, accuracy: 1e-7)
        XCTAssertEqual(p[1], -2 - 0.5 / 1.5 * 1, accuracy: 1e-7)
    }

    func testKerasDefaults() throws {
        let sgd = try Optimizers.named("sgd") as! SGD
        XCTAssertEqual(sgd.learningRate, 0.01)
        XCTAssertEqual((try Optimizers.named("rmsprop") as! RMSprop).rho, 0.9)
        XCTAssertEqual((try Optimizers.named("adagrad") as! Adagrad).initialAccumulatorValue, 0.1)
        XCTAssertEqual((try Optimizers.named("adadelta") as! Adadelta).rho, 0.95)
        for name in ["rmsprop", "adagrad", "adam", "adadelta", "adamax", "nadam"] {
            XCTAssertEqual(try Optimizers.named(name).learningRate, 0.001, name)
        }
        XCTAssertEqual((try Optimizers.named("adam") as! Adam).epsilon, 1e-7)
    }

    /// Arguments left out of `make` take the initialiser's defaults bit for bit (the table writes no default itself).
    func testMadeWithoutArgumentsEqualsTheDefaultInstance() throws {
        XCTAssertEqual(
            Optimizers.names, ["SGD", "RMSprop", "Adagrad", "Adam", "AdamW", "Adadelta", "Adamax", "Nadam", "Lion", "Ftrl", "Adafactor"])
        for name in Optimizers.names {
            let made = try Optimizers.make(name, arguments: [:]), standard = try Optimizers.named(name)
            XCTAssertTrue(type(of: made) == type(of: standard), name)
            let fields = zip(Mirror(reflecting: made).children, Mirror(reflecting: standard).children)
            for (a, b) in fields {
                if let x = a.value as? Float, let y = b.value as? Float {
                    XCTAssertEqual(x.bitPattern, y.bitPattern, "\(name).\(a.label ?? "?")")
                } else if let x = a.value as? Bool, let y = b.value as? Bool {
                    XCTAssertEqual(x, y, "\(name).\(a.label ?? "?")")
                }
            }
        }
    }

    func testUnknownOptimizerAndArgument() {
        XCTAssertThrowsError(try Optimizers.named("adamw2")) { e in
            XCTAssertTrue("\(e.localizedDescription)".contains("unknown optimizer 'adamw2'"))
        }
        XCTAssertThrowsError(try Optimizers.make("sgd", arguments: ["momentun": 0.9])) { e in
            XCTAssertTrue(e.localizedDescription.contains("momentun"))
        }
    }
}
