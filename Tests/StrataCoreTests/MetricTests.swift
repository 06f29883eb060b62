import StrataCore
import TestSupport
import XCTest

final class MetricTests: XCTestCase {
    private func resolve(_ spec: MetricSpec, out: [Int], target: [Int], loss: String) throws -> Metric {
        try spec.resolve(outputShape: out, targetShape: target, loss: try Losses.named(loss))
    }

    /// Keras 3 resolves "accuracy" by shape (compile_utils.py): one output unit -> binary; targets of lower rank
    /// or a last axis of 1 against several units -> sparse; else categorical. Even binary_crossentropy over two
    /// units gives categorical accuracy (core_loss_bce_multilabel shows Keras reporting it). Named as passed.
    func testAccuracyResolution() throws {
        XCTAssertTrue(try resolve("accuracy", out: [1], target: [1], loss: "binary_crossentropy") is BinaryAccuracy)
        XCTAssertTrue(try resolve("accuracy", out: [10], target: [10], loss: "categorical_crossentropy") is CategoricalAccuracy)
        XCTAssertTrue(try resolve("accuracy", out: [10], target: [], loss: "sparse_categorical_crossentropy") is SparseCategoricalAccuracy)
        XCTAssertTrue(try resolve("accuracy", out: [10], target: [1], loss: "sparse_categorical_crossentropy") is SparseCategoricalAccuracy)
        XCTAssertTrue(try resolve("accuracy", out: [2], target: [2], loss: "binary_crossentropy") is CategoricalAccuracy)
        XCTAssertTrue(try resolve("acc", out: [3], target: [1], loss: "mse") is SparseCategoricalAccuracy)
        XCTAssertEqual(try resolve("acc", out: [1], target: [1], loss: "mse").name, "acc")
    }

    func testAccuracyValues() throws {
        let v = Tensor(zeros: [3])
        BinaryAccuracy().values(
            yTrue: try Tensor([[1, 0], [0, 0], [1, 1]]), yPred: try Tensor([[0.7, 0.5], [0.2, 0.6], [0.51, 0.9]]), into: v)
        XCTAssertEqual(v.scalars, [1, 0.5, 1])  // 0.5 is not > 0.5
        CategoricalAccuracy().values(
            yTrue: try Tensor([[0, 1, 0], [1, 0, 0], [0, 0, 1]]),
            yPred: try Tensor([[0.2, 0.5, 0.3], [0.1, 0.8, 0.1], [0.3, 0.3, 0.4]]), into: v)
        XCTAssertEqual(v.scalars, [1, 0, 1])
        SparseCategoricalAccuracy().values(
            yTrue: Tensor([1, 1, 2]), yPred: try Tensor([[0.2, 0.5, 0.3], [0.4, 0.4, 0.2], [0.3, 0.3, 0.4]]), into: v)
        XCTAssertEqual(v.scalars, [1, 0, 1])  // ties: the first maximum wins, as argmax
        MeanSquaredErrorMetric().values(yTrue: try Tensor([[1, 2]]), yPred: try Tensor([[2, 4]]), into: v.rows(0..<1))
        XCTAssertEqual(v[0], 2.5)
        MeanAbsoluteErrorMetric().values(yTrue: try Tensor([[1, 2]]), yPred: try Tensor([[2, 4]]), into: v.rows(0..<1))
        XCTAssertEqual(v[0], 1.5)
    }

    /// A custom metric (the guide's `mean_pred`: the mean prediction) reported by fit and evaluate, with the
    /// sample-weighted epoch mean; checked against the mean of predict's output.
    func testCustomMetric() throws {
        let meanPred = MetricSpec.custom("mean_pred") { _, yPred in try yPred.mean(axis: -1) }
        let model = Sequential([Dense(1, activation: .sigmoid, inputDim: 3)], seed: 2)
        model.compile(optimizer: "rmsprop", loss: "binary_crossentropy", metrics: ["accuracy", meanPred])
        let d = RandomData(seed: 3)
        let x = d.uniform([7, 3]), y = d.integerTensor(2, shape: [7, 1])
        let h = try model.fit(x, y, batchSize: 3, epochs: 1, verbose: 0)
        XCTAssertNotNil(h["mean_pred"])
        let ev = try model.evaluate(x, y, batchSize: 3, verbose: 0)
        let p = try model.predict(x)
        XCTAssertEqual(ev[2], Double(p.scalars.reduce(0, +)) / 7, accuracy: 1e-6)
    }

    func testUnknownMetric() throws {
        XCTAssertThrowsError(try resolve("f1score", out: [2], target: [2], loss: "mse")) { e in
            XCTAssertTrue(e.localizedDescription.contains("unknown metric 'f1score'"))
        }
    }
}
