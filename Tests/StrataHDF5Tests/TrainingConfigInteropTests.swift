import Foundation
import Strata
import TestSupport
import XCTest

/// Issue 16's losses and metrics in Keras files (`training_config`): what Strata writes, Python Keras compiles to the
/// same loss and metrics; what Keras writes, Strata compiles to the same (skipped without the Keras venv).
final class TrainingConfigInteropTests: XCTestCase {
    let dir = NSTemporaryDirectory() + "strata-tc-\(UUID().uuidString)"
    override func setUpWithError() throws { try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true) }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(atPath: dir) }

    /// Both directions without Python: the file's training_config compiles back to the same loss and metrics.
    func testRoundTripInStrata() throws {
        let model = Sequential([Dense(3, activation: .softmax, inputDim: 4)], seed: 1)
        model.compile(
            optimizer: "adam", loss: CategoricalFocalCrossentropy(gamma: 1.5),
            metrics: ["accuracy", .metric(AUC(curve: .pr, name: "pr")), MetricSpec("TopKCategoricalAccuracy", arguments: ["k": 2])],
            weightedMetrics: ["accuracy"])
        try model.build()
        try model.save(dir + "/m.h5")
        let back = try Sequential.load(dir + "/m.h5")
        let loss = try XCTUnwrap(back.loss as? CategoricalFocalCrossentropy)
        XCTAssertEqual(loss.gamma, 1.5)
        try back.fit(Tensor(zeros: [2, 4]), try toCategorical([0, 2], numClasses: 3), verbose: 0)
        XCTAssertEqual(back.metrics.map(\.name), ["accuracy", "pr", "top_k_categorical_accuracy", "weighted_accuracy"])
        XCTAssertEqual((back.metrics[1] as? AUC)?.curve, .pr)
        XCTAssertEqual((back.metrics[2] as? TopKCategoricalAccuracy)?.k, 2)
    }

    func testKerasCompilesOurFilesAndWeCompileKerasFiles() throws {
        guard KerasPython.path != nil else { throw XCTSkip("no Keras Python (set STRATA_KERAS_PYTHON)") }
        let model = Sequential([Dense(1, activation: .sigmoid, inputDim: 3)], seed: 1)
        model.compile(
            optimizer: "adam", loss: Huber(delta: 2),
            metrics: [
                "accuracy", .metric(Precision(thresholds: 0.3)), MetricSpec("AUC", arguments: ["curve": "PR", "num_thresholds": 50]),
            ])
        try model.build()
        try model.save(dir + "/ours.h5")
        let script = """
            import sys, keras
            m = keras.models.load_model(sys.argv[1] + "/ours.h5")
            print("LOSS", type(m.loss).__name__, getattr(m.loss, "fn", None) and m.loss.fn.__name__, m.loss._fn_kwargs if hasattr(m.loss, "_fn_kwargs") else None)
            m.evaluate(keras.ops.zeros((2, 3)), keras.ops.zeros((2, 1)), verbose=0)
            for x in m.metrics[1].metrics if hasattr(m.metrics[1], "metrics") else []:
                print("METRIC", type(x).__name__, x.name, {k: v for k, v in x.get_config().items() if k in ("thresholds", "curve", "num_thresholds")})
            k = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2, activation="softmax")])
            k.compile(optimizer="sgd", loss=keras.losses.BinaryFocalCrossentropy(gamma=3.0, apply_class_balancing=True),
                      metrics=[keras.metrics.Recall(thresholds=0.7, name="r7"), keras.metrics.F1Score(average="micro")])
            k.save(sys.argv[1] + "/theirs.h5")
            """
        let (status, out) = try KerasPython.run(script, arguments: [dir])
        XCTAssertEqual(status, 0, out)
        XCTAssertTrue(out.contains("LOSS Huber"), out)
        XCTAssertTrue(out.contains("huber {'delta': 2.0}"), out)
        XCTAssertTrue(out.contains("METRIC Precision precision {'thresholds': 0.3}"), out)
        XCTAssertTrue(out.contains("METRIC AUC auc {'num_thresholds': 50, 'curve': 'PR'}"), out)
        let theirs = try Sequential.load(dir + "/theirs.h5")
        let loss = try XCTUnwrap(theirs.loss as? BinaryFocalCrossentropy)
        XCTAssertEqual(loss.gamma, 3)
        XCTAssertTrue(loss.applyClassBalancing)
        try theirs.fit(Tensor(zeros: [2, 3]), Tensor([[0, 1], [1, 0]]), verbose: 0)
        XCTAssertEqual(theirs.metrics.map(\.name), ["r7", "f1_score"])
        XCTAssertEqual((theirs.metrics[0] as? Recall)?.thresholds, 0.7)
        XCTAssertEqual((theirs.metrics[1] as? F1Score)?.average, .micro)
    }
}
