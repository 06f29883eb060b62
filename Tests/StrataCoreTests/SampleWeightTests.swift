import StrataCore
import TestSupport
import XCTest

/// `fit(sampleWeight:)`, `fit(classWeight:)` and weighted validation / `evaluate`, with the counting metrics and
/// `weightedMetrics` (Keras's `weighted_metrics`, `weighted_accuracy` beside `accuracy`) in the same runs: against Keras (lm_train_*: two epochs of `model.fit`, batch 4 of 10 rows so the last batch is short,
/// shuffle off), and 1 vs 2 vs 3 ranks.
final class SampleWeightTests: XCTestCase {
    static let sets = [
        "lm_train_sample_weight", "lm_train_class_weight", "lm_train_class_weight_onehot",
        "lm_train_huber_weighted", "lm_train_weighted_metrics",
    ]

    /// The fixture's model and data: Dense(4, tanh) then Dense(units, activation), Keras's start weights, SGD 0.3.
    private func run(_ set: String, communicator: Communicator? = nil) throws -> (model: Sequential, history: History, evaluate: [Double]) {
        let m = try Fixtures.manifest(set)
        let act = try m["activation"]!.stringValue.map { try ActivationFunction(kerasName: $0) } ?? .linear
        let model = Sequential([Dense(4, activation: .tanh, inputDim: 3), Dense(m["units_out"]!.intValue!, activation: act)])
        try model.setWeights((0..<m["weights"]!.intValue!).map { try Fixtures.npy(set, "start\($0)") })
        func specs(_ key: String) -> [MetricSpec] {
            m[key]!.arrayValue!.map { spec in
                if let s = spec.stringValue { return MetricSpec(s) }
                return MetricSpec(spec["class_name"]!.stringValue!, arguments: spec["config"]!.objectValue!)
            }
        }
        model.compile(
            optimizer: SGD(learningRate: 0.3), loss: try Losses.make(m["loss"]!.stringValue!), metrics: specs("metrics"),
            weightedMetrics: specs("weighted_metrics"))
        let classWeight = m["class_weight"]!.objectValue!.reduce(into: [Int: Float]()) { $0[Int($1.key)!] = Float($1.value.doubleValue!) }
        let has = { (name: String) in m["arrays"]![name] != nil }
        let weights = has("sample_weight") ? try Fixtures.npy(set, "sample_weight") : nil
        let valWeights = has("val_weight") ? try Fixtures.npy(set, "val_weight") : nil
        let xv = try Fixtures.npy(set, "xv"), yv = try Fixtures.npy(set, "yv")
        let h = try model.fit(
            try Fixtures.npy(set, "x"), try Fixtures.npy(set, "y"), batchSize: 4, epochs: 2, verbose: 0,
            validationData: (xv, yv), validationSampleWeight: valWeights, shuffle: false,
            classWeight: classWeight.isEmpty ? nil : classWeight, sampleWeight: weights, seed: 1,
            communicator: communicator)
        let ev = try model.evaluate(xv, yv, batchSize: 4, verbose: 0, sampleWeight: valWeights, communicator: communicator)
        return (model, h, ev)
    }

    func testWeightedTrainingMatchesKeras() throws {
        var report: [String] = []
        for set in Self.sets {
            let m = try Fixtures.manifest(set)
            let (model, h, ev) = try run(set)
            let n = m["weights"]!.intValue!
            let ratio = Parity.assertUpdate(
                model.getWeights(), keras: try (0..<n).map { try Fixtures.npy(set, "end\($0)") },
                start: try (0..<n).map { try Fixtures.npy(set, "start\($0)") }, set)
            var worst = 0.0
            for (key, values) in m["history"]!.objectValue! {
                let ours = try XCTUnwrap(h[key], "\(set): no \(key) in History")
                for (a, b) in zip(ours, values.arrayValue!.map { $0.doubleValue! }) {
                    worst = max(worst, abs(a - b))
                    XCTAssertEqual(a, b, accuracy: 2e-5 * max(1, abs(b)), "\(set) \(key)")
                }
            }
            let kev = m["evaluate"]!.objectValue!
            XCTAssertEqual(ev[0], kev["loss"]!.doubleValue!, accuracy: 2e-5, "\(set) evaluate loss")
            for (j, name) in model.metrics.map(\.name).enumerated() {
                XCTAssertEqual(ev[1 + j], kev[name]!.doubleValue!, accuracy: 2e-5, "\(set) evaluate \(name)")
            }
            report.append("\(set): weights \(String(format: "%.1e", ratio)), history max |diff| \(String(format: "%.1e", worst))")
        }
        print("PARITY sample/class weights, 2 epochs of 3 steps: " + report.joined(separator: "; "))
    }

    /// 1 vs 2 vs 3 ranks (the last batch of 2 rows leaves a rank without rows on 3 ranks): same weights, History and
    /// evaluate, within 1e-5 relative.
    func testRankInvariance() throws {
        var report: [String] = []
        for set in Self.sets {
            let worst = try RankInvariance.worstDifference { comm in
                let r = try self.run(set, communicator: comm)
                return RankInvariance.Outcome(model: r.model, history: r.history, figures: r.evaluate)
            }
            XCTAssertLessThan(worst, 1e-5, "\(set): 2 or 3 ranks differ from 1 rank by \(worst) (relative)")
            report.append("\(set) \(String(format: "%.1e", worst))")
        }
        print("RANKS sample/class weights + counting metrics, max relative difference 2-3 ranks vs 1: " + report.joined(separator: ", "))
    }

    func testBadWeightsAreClearErrors() throws {
        let model = Sequential([Dense(2, activation: .softmax, inputDim: 3)], seed: 1)
        model.compile(optimizer: "sgd", loss: "categorical_crossentropy")
        let x = Tensor(zeros: [4, 3]), y = try toCategorical([0, 1, 0, 1], numClasses: 2)
        let cases: [(() throws -> Void, String)] = [
            (
                { try model.fit(x, y, verbose: 0, classWeight: [0: 2], sampleWeight: Tensor([1, 1, 1, 1])) },
                "both classWeight and sampleWeight"
            ),
            ({ try model.fit(x, y, verbose: 0, sampleWeight: Tensor([1, 1, 1])) }, "sample weights have shape [3] for 4 samples"),
            ({ try model.fit(x, y, verbose: 0, sampleWeight: Tensor([1, -1, 1, 1])) }, "sample weight 1 is -1"),
            (
                { try model.fit(x, y, verbose: 0, validationSampleWeight: Tensor([1, 1])) },
                "validationSampleWeight was given without validation data"
            ),
            ({ try model.evaluate(x, y, verbose: 0, sampleWeight: Tensor([1])) }, "evaluation data sample weights"),
        ]
        for (body, message) in cases {
            XCTAssertThrowsError(try body()) { e in
                XCTAssertTrue(e.localizedDescription.contains(message), e.localizedDescription)
            }
        }
    }
}
