import TestSupport
import XCTest

@testable import StrataCore

/// Regularizers (L1, L2, L1L2 on kernels, biases, recurrent kernels, embeddings, PReLU's alpha and layer outputs) and
/// constraints (MaxNorm, NonNeg, UnitNorm, MinMaxNorm) against Keras: fixture sets `misc_model_<case>` hold a
/// model's Keras config, start weights, the loss Keras reports for one epoch of 3 steps, the weights after them and
/// evaluate()'s loss.
final class RegularizerTests: XCTestCase {
    /// Builds the fixture's model from Keras's own model_config, trains it as Keras did, and compares.
    func checkModel(_ set: String, _ optimizer: Optimizer, file: StaticString = #filePath, line: UInt = #line) throws {
        let m = try Fixtures.manifest(set)
        let model = try ModelConfig(json: m["model_config"]!, kerasVersion: "3.15.1").makeModel(seed: 1)
        let start = try KerasFixtureModel.weights(set, prefix: "w")
        try model.setWeights(start)
        let x = try Fixtures.npy(set, "x"), y = try Fixtures.npy(set, "y")
        model.compile(optimizer: optimizer, loss: "mse")
        let history = try model.fit(x, y, batchSize: 4, epochs: 1, verbose: 0, shuffle: false)
        let kerasLoss = m["loss"]!.doubleValue!
        XCTAssertEqual(
            history["loss"]![0], kerasLoss, accuracy: 1e-5 * abs(kerasLoss) + 1e-6, "\(set): reported loss", file: file, line: line)
        let worst = Parity.assertUpdate(
            model.getWeights(), keras: try KerasFixtureModel.weights(set, prefix: "trained"), start: start, set, file: file, line: line)
        let evaluated = try model.evaluate(x, y, batchSize: 4, verbose: 0)[0]
        let kerasEvaluated = m["evaluate_loss"]!.doubleValue!
        XCTAssertEqual(
            evaluated, kerasEvaluated, accuracy: 1e-5 * abs(kerasEvaluated) + 1e-6, "\(set): evaluate loss", file: file, line: line)
        print(
            "fixture \(set): loss \(history["loss"]![0]) (Keras \(kerasLoss)), weights after 3 steps \(worst) of Keras's update, evaluate \(evaluated) (Keras \(kerasEvaluated))"
        )
    }

    func testRegularizedDenseModelMatchesKeras() throws {
        try checkModel("misc_model_regularized", SGD(learningRate: Float(0.1)))
    }

    func testConstrainedModelMatchesKeras() throws {
        try checkModel("misc_model_constrained", SGD(learningRate: Float(0.2), momentum: 0.5))
    }

    func testRegularizedConvAndLSTMMatchKeras() throws {
        try checkModel("misc_model_regularized_conv_rnn", Adam(learningRate: Float(0.01)))
    }

    func testRegularizedEmbeddingGRUAndPReLUMatchKeras() throws {
        try checkModel("misc_model_regularized_embedding_gru", SGD(learningRate: Float(0.1)))
    }

    /// The penalty's gradient against central differences of the penalty itself, and each constraint against its
    /// formula computed here in Double.
    func testPenaltyGradientAndConstraintFormulas() throws {
        let w = normalTensor([3, 4], seed: 2)
        let reg = Regularizer(l1: 0.03, l2: 0.2)
        let g = Tensor(zeros: w.shape)
        reg.addGradient(of: w, into: g)
        for i in 0..<w.count {
            let keep = w[flat: i]
            w[flat: i] = keep + 1e-2
            let up = reg.penalty(w)
            w[flat: i] = keep - 1e-2
            let down = reg.penalty(w)
            w[flat: i] = keep
            XCTAssertEqual(Double(g[flat: i]), (up - down) / 2e-2, accuracy: 1e-3)
        }
        // Column norms (axis 0 of a (3, 4) kernel), then each constraint's scale of column j.
        func norms(_ t: Tensor) -> [Double] {
            (0..<4).map { j in (0..<3).map { Double(t[flat: $0 * 4 + j]) }.reduce(0) { $0 + $1 * $1 }.squareRoot() }
        }
        let n = norms(w)
        let expected: [(Constraint, (Double) -> Double)] = [
            (.maxNorm(maxValue: 0.9), { min($0, 0.9) / (1e-7 + $0) }), (.unitNorm(), { 1 / (1e-7 + $0) }),
            (.minMaxNorm(minValue: 1.2, maxValue: 1.5, rate: 0.5), { (0.5 * min(max($0, 1.2), 1.5) + 0.5 * $0) / (1e-7 + $0) }),
        ]
        for (c, scale) in expected {
            let t = w.copy()
            c.apply(to: t)
            for i in 0..<t.count {
                XCTAssertEqual(Double(t[flat: i]), Double(w[flat: i]) * scale(n[i % 4]), accuracy: 1e-6, "\(c)")
            }
        }
        let t = w.copy()
        Constraint.nonNeg.apply(to: t)
        XCTAssertEqual(t.scalars, w.scalars.map { max($0, 0) })
    }

    /// Contract 1 with regularizers, an activity regularizer and constraints: the penalty is added once (not once
    /// per rank), so 2 and 3 ranks end with the 1-rank weights and report its loss, uneven last batch included.
    func testRegularizedModelIsRankInvariant() throws {
        func run(_ comm: Communicator?) throws -> ([Float], [Double]) {
            let d = RandomData(seed: 9)
            let x = d.uniform([13, 5]), y = d.uniform([13, 3])
            let m = Sequential(
                [
                    Dense(
                        6, activation: .tanh, kernelRegularizer: .l2(0.05), biasRegularizer: .l1(0.02),
                        activityRegularizer: .l1l2(l1: 0.01, l2: 0.02), kernelConstraint: .maxNorm(maxValue: 0.8),
                        inputShape: [5]),
                    Dense(3, kernelRegularizer: .l1l2(l1: 0.01, l2: 0.01), biasConstraint: .nonNeg),
                ], seed: 3)
            m.compile(optimizer: SGD(learningRate: Float(0.1), momentum: 0.9), loss: "mse")
            let h = try m.fit(x, y, batchSize: 4, epochs: 3, verbose: 0, communicator: comm)
            return (m.getWeights().flatMap(\.scalars), h["loss"]!)
        }
        let (one, loss1) = try run(nil)
        for p in [2, 3] {
            for (r, result) in ThreadCommunicator.run(size: p, { try run($0) }).enumerated() {
                let (w, loss) = try result.get()
                let diff = zip(w, one).map { abs($0 - $1) }.max()!
                XCTAssertLessThan(diff, 1e-5, "\(p) ranks, rank \(r): weights differ from 1 rank by \(diff)")
                for (a, b) in zip(loss, loss1) { XCTAssertEqual(a, b, accuracy: 1e-5 * b, "\(p) ranks, rank \(r): loss") }
            }
        }
    }

    /// A regularizer or constraint Strata does not implement is refused by name, with the layer and the argument.
    func testUnsupportedRegularizerAndConstraintAreRefusedByName() {
        func message(_ cls: String, _ config: [String: JSONValue]) -> String {
            do { _ = try LayerRegistry.make(className: cls, config: config); return "no error" } catch {
                return error.localizedDescription
            }
        }
        let r = message("Dense", ["name": "d", "units": 2, "kernel_regularizer": ["class_name": "OrthogonalRegularizer", "config": [:]]])
        XCTAssertEqual(
            r,
            "layer 'd': 'kernel_regularizer': unsupported regularizer 'OrthogonalRegularizer'. Strata implements L1, L2 and L1L2: "
                + "use l1, l2 or l1_l2 (e.g. {\"class_name\": \"L2\", \"config\": {\"l2\": 0.01}})")
        let c = message("LSTM", ["name": "l", "units": 2, "recurrent_constraint": "radial"])
        XCTAssertTrue(c.contains("layer 'l'") && c.contains("'recurrent_constraint'") && c.contains("unsupported constraint 'radial'"), c)
        XCTAssertTrue(message("Dense", ["units": 2, "kernel_regularizer": ["class_name": "L2", "config": ["l2": -1]]]).contains(">= 0"))
    }
}
