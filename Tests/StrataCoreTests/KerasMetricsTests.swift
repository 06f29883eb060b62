import StrataCore
import TestSupport
import XCTest

/// The metrics of issue 16 against Keras (lm_metrics: `keras.metrics.<Class>(**args)`, `result()` after each of three
/// `update_state` batches, without and with `sample_weight`), fed batch by batch as the trainer does: counting
/// metrics add each batch's Float counts into Double totals, per-sample metrics keep `sum(w v) / sum(w)`.
final class KerasMetricsTests: XCTestCase {
    func testResultsOverBatchesMatchKeras() throws {
        let set = "lm_metrics"
        let cases = try Fixtures.manifest(set)["cases"]!.objectValue!
        XCTAssertEqual(cases.count, 23)
        var report: [String] = []
        for name in cases.keys.sorted() {
            let c = cases[name]!
            var worst = 0.0
            for weighted in [false, true] {
                let metric = try Metrics.make(c["class"]!.stringValue!, arguments: c["args"]!.objectValue!)
                let expected = c[weighted ? "weighted" : "results"]!.arrayValue!.map { $0.doubleValue! }
                var totals: [Double] = [], sums = (value: 0.0, weight: 0.0)
                for batch in 0..<3 {
                    let y = try Fixtures.npy(set, c["y_true"]!.stringValue! + "\(batch)")
                    let p = try Fixtures.npy(set, c["y_pred"]!.stringValue! + "\(batch)")
                    let w = weighted ? try Fixtures.npy(set, "weights\(batch)") : nil
                    let got: Double
                    if let counting = metric as? CountingMetric {
                        let state = Tensor(zeros: [counting.stateCount(outputShape: Array(p.shape.dropFirst()))])
                        if totals.isEmpty { totals = [Double](repeating: 0, count: state.count) }
                        counting.accumulate(yTrue: y, yPred: p, sampleWeight: w, into: state)
                        for i in 0..<state.count { totals[i] += Double(state[flat: i]) }
                        got = counting.result(totals[...])
                    } else {
                        let v = Tensor(zeros: [p.shape[0]])
                        try metric.values(yTrue: y, yPred: p, into: v)
                        for i in 0..<v.count {
                            let wi = Double(w?[flat: i] ?? 1)
                            sums.value += wi * Double(v[flat: i])
                            sums.weight += wi
                        }
                        got = sums.value / sums.weight
                    }
                    let want = expected[batch]
                    let error = abs(got - want) / (1e-6 + 1e-5 * abs(want))
                    worst = max(worst, error)
                    XCTAssertLessThanOrEqual(error, 1, "\(name) weighted=\(weighted) batch \(batch): \(got) vs Keras \(want)")
                }
            }
            report.append("\(name) \(String(format: "%.2f", worst))")
        }
        print("PARITY issue-16 metrics over 3 batches (max error over tolerance): " + report.joined(separator: ", "))
    }

    /// Names: Keras's default names for class names, the id as given for snake_case ids, `name:` wins.
    func testNames() throws {
        XCTAssertEqual(try Metrics.make("AUC").name, "auc")
        XCTAssertEqual(try Metrics.make("precision").name, "precision")
        XCTAssertEqual(try Metrics.make("TopKCategoricalAccuracy", arguments: ["k": 2]).name, "top_k_categorical_accuracy")
        XCTAssertEqual(try Metrics.make("AUC", arguments: ["curve": "PR", "name": "pr_auc"]).name, "pr_auc")
        XCTAssertTrue(try Metrics.make("Recall") is CountingMetric)
    }

    /// Unknown or unsupported arguments are one error naming the argument.
    func testBadArgumentsNameTheArgument() {
        let bad: [(String, [String: JSONValue], String)] = [
            ("AUC", ["curve": "PRGAIN"], "curve 'PRGAIN'"),
            ("AUC", ["thresholds": [0.5]], "'thresholds' is not supported"),
            ("AUC", ["num_thresholds": 1], "'num_thresholds' must be an integer >= 2"),
            ("F1Score", [:], "'average' must be micro, macro or weighted"),
            ("MeanIoU", [:], "'num_classes' is required"),
            ("Precision", ["treshold": 0.3], "unknown argument 'treshold'"),
            ("top_k_categorical_accuracy", ["k": 0], "'k' must be an integer >= 1"),
            ("precission", [:], "unknown metric 'precission'"),
        ]
        for (id, args, message) in bad {
            XCTAssertThrowsError(try Metrics.make(id, arguments: args), id) { e in
                XCTAssertTrue(e.localizedDescription.contains(message), "\(id): \(e.localizedDescription)")
            }
        }
    }
}
