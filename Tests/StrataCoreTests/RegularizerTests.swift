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

    func testRegularizedDepthwiseSeparableAndConv2DTransposeMatchKeras() throws {
        try checkModel("misc_model_regularized_conv2d_variants", SGD(learningRate: Float(0.1), momentum: 0.5))
    }

    func testRegularizedSeparableConv1DAndConv1DTransposeMatchKeras() throws {
        try checkModel("misc_model_regularized_conv1d_variants", Adam(learningRate: Float(0.01)))
    }

    func testRegularizedBatchAndLayerNormalizationMatchKeras() throws {
        try checkModel("misc_model_regularized_normalization", SGD(learningRate: Float(0.1)))
    }

    /// The Swift API with Keras's names builds the config Keras writes, and reading it back gives the same layer.
    func testSwiftArgumentsWriteKerasKeys() throws {
        let layers: [(Layer, [String])] = [
            (
                DepthwiseConv2D(kernelSize: (3, 3)).regularized(depthwise: .l2(0.1), biasConstraint: .nonNeg),
                ["depthwise_regularizer", "bias_constraint"]
            ),
            (
                SeparableConv2D(4, kernelSize: (3, 3)).regularized(pointwise: .l1(0.1), activity: .l2(), depthwiseConstraint: .maxNorm()),
                ["pointwise_regularizer", "activity_regularizer", "depthwise_constraint"]
            ),
            (
                SeparableConv1D(4, kernelSize: 3).regularized(depthwise: .l1(0.1), pointwiseConstraint: .unitNorm()),
                ["depthwise_regularizer", "pointwise_constraint"]
            ),
            (
                Conv2DTranspose(4, kernelSize: (3, 3)).regularized(kernel: .l2(0.1), biasConstraint: .nonNeg),
                ["kernel_regularizer", "bias_constraint"]
            ),
            (
                Conv1DTranspose(4, kernelSize: 3).regularized(bias: .l2(0.1), kernelConstraint: .nonNeg),
                ["bias_regularizer", "kernel_constraint"]
            ),
            (BatchNormalization().regularized(gamma: .l2(0.1), betaConstraint: .nonNeg), ["gamma_regularizer", "beta_constraint"]),
            (
                LayerNormalization().regularized(beta: .l1(0.1), activity: .l1(), gammaConstraint: .maxNorm()),
                ["beta_regularizer", "activity_regularizer", "gamma_constraint"]
            ),
        ]
        for (layer, keys) in layers {
            let written = layer.config.keys.filter { $0.hasSuffix("_regularizer") || $0.hasSuffix("_constraint") }
            XCTAssertEqual(Set(written), Set(keys), layer.className)
            let again = try LayerRegistry.make(className: layer.className, config: layer.config)
            XCTAssertEqual(JSONValue.object(again.config).jsonText, JSONValue.object(layer.config).jsonText, layer.className)
        }
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
        try assertRankInvariant(run)
    }

    /// Contract 1 for the layers of this issue's second part: BatchNormalization (global batch statistics) with
    /// gamma/beta regularizers and constraints and an activity regularizer, a regularized and constrained
    /// SeparableConv2D, DepthwiseConv2D and Conv2DTranspose, LayerNormalization: 2 and 3 ranks end with the
    /// 1-rank weights and loss (13 rows, batch 4: uneven last batch).
    func testRegularizedConvVariantsAndNormalizationAreRankInvariant() throws {
        func run(_ comm: Communicator?) throws -> ([Float], [Double]) {
            let d = RandomData(seed: 11)
            let x = d.uniform([13, 6, 6, 2]), y = d.uniform([13, 2])
            let m = Sequential(
                [
                    DepthwiseConv2D(kernelSize: (3, 3), depthMultiplier: 2, activation: .tanh, inputShape: [6, 6, 2])
                        .regularized(depthwise: .l2(0.05), bias: .l1(0.02), depthwiseConstraint: .maxNorm(maxValue: 0.9, axis: [0, 1, 2])),
                    BatchNormalization(momentum: 0.8).regularized(
                        gamma: .l2(0.05), beta: .l1(0.02), activity: .l2(0.01), gammaConstraint: .maxNorm(maxValue: 1.5),
                        betaConstraint: .nonNeg),
                    SeparableConv2D(3, kernelSize: (2, 2), activation: .relu).regularized(
                        depthwise: .l1(0.01), pointwise: .l2(0.05), activity: .l2(0.01), pointwiseConstraint: .unitNorm(axis: [0, 1, 2])),
                    Conv2DTranspose(2, kernelSize: (2, 2), strides: (2, 2)).regularized(
                        kernel: .l1l2(l1: 0.01, l2: 0.02), kernelConstraint: .maxNorm(maxValue: 0.8), biasConstraint: .nonNeg),
                    LayerNormalization(axis: [-3, -2, -1]).regularized(
                        gamma: .l2(0.03), beta: .l1(0.01), betaConstraint: .maxNorm(maxValue: 0.3)),
                    GlobalAveragePooling2D(), Dense(2),
                ], seed: 5)
            m.compile(optimizer: SGD(learningRate: Float(0.1), momentum: 0.9), loss: "mse")
            let h = try m.fit(x, y, batchSize: 4, epochs: 3, verbose: 0, communicator: comm)
            return (m.getWeights().flatMap(\.scalars), h["loss"]!)
        }
        try assertRankInvariant(run)
    }

    /// 1 vs 2 and 3 ranks (threads): weights within 1e-5, losses within 1e-5 relative.
    func assertRankInvariant(
        _ run: @escaping (Communicator?) throws -> ([Float], [Double]), file: StaticString = #filePath, line: UInt = #line
    ) throws {
        let (one, loss1) = try run(nil)
        for p in [2, 3] {
            for (r, result) in ThreadCommunicator.run(size: p, { try run($0) }).enumerated() {
                let (w, loss) = try result.get()
                let diff = zip(w, one).map { abs($0 - $1) }.max()!
                XCTAssertLessThan(diff, 1e-5, "\(p) ranks, rank \(r): weights differ from 1 rank by \(diff)", file: file, line: line)
                for (a, b) in zip(loss, loss1) {
                    XCTAssertEqual(a, b, accuracy: 1e-5 * b, "\(p) ranks, rank \(r): loss", file: file, line: line)
                }
                if r == 0 { print("rank invariance \(p) ranks vs 1: max |w - w1| = \(diff)") }
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
