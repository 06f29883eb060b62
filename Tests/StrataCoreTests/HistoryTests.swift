import StrataCore
import TestSupport
import XCTest

/// `History` and `evaluate`'s results read as Keras users read them.
final class HistoryTests: XCTestCase {
    func testMembersReadTheHistoryDictionary() throws {
        let d = RandomData(seed: 5)
        let model = Sequential([Dense(3, activation: .softmax, inputDim: 4)], seed: 2)
        model.compile(optimizer: "sgd", loss: "categorical_crossentropy", metrics: ["accuracy"])
        let x = d.uniform([12, 4]), y = try toCategorical(d.integers(3, count: 12), numClasses: 3)
        let history = try model.fit(x, y, batchSize: 4, epochs: 3, verbose: 0, validationSplit: 0.25)
        XCTAssertEqual(Set(history.history.keys), ["loss", "accuracy", "val_loss", "val_accuracy"])
        XCTAssertEqual(history.loss, history.history["loss"])
        XCTAssertEqual(history.accuracy, history.history["accuracy"])
        XCTAssertEqual(history.val_loss, history.history["val_loss"])
        XCTAssertEqual(history.val_accuracy, history["val_accuracy"])
        XCTAssertEqual(history.loss.count, 3)
        XCTAssertEqual(history.epoch, [0, 1, 2])
        XCTAssertEqual(history.mae, [], "a figure the run did not log reads as no values")
    }

    /// `returnDict: true` gives the figures of `evaluate`'s list under Keras's `metrics_names`.
    func testEvaluateReturnDictNamesKerasFigures() throws {
        let d = RandomData(seed: 6)
        let model = Sequential([Dense(2, inputDim: 3)], seed: 4)
        model.compile(optimizer: "sgd", loss: "mse", metrics: ["mae", "mse"])
        let x = d.uniform([10, 3]), y = d.uniform([10, 2])
        let list = try model.evaluate(x, y, verbose: 0)
        XCTAssertEqual(model.metricsNames, ["loss", "mae", "mse"])
        let named = try model.evaluate(x, y, verbose: 0, returnDict: true)
        XCTAssertEqual(named, ["loss": list[0], "mae": list[1], "mse": list[2]])
        let yTrue = y.scalars, yPred = try model.predict(x).scalars
        let mae = zip(yTrue, yPred).map { Double(abs($0 - $1)) }.reduce(0, +) / Double(yTrue.count)
        XCTAssertEqual(named["mae"]!, mae, accuracy: 1e-6, "mae from predict, computed here")
        XCTAssertThrowsError(try model.evaluate(x, y, verbose: 0, returnDict: false)) { error in
            XCTAssertTrue(error.localizedDescription.contains("leave out returnDict:"), "\(error)")
        }
    }
}
