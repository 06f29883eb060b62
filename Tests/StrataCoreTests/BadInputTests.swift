import StrataCore
import TestSupport
import XCTest

/// Every user mistake is a typed `StrataError` whose message says what and where, never a crash.
final class BadInputTests: XCTestCase {
    private func model(
        _ last: Dense = Dense(3, activation: .softmax), loss: String = "categorical_crossentropy",
        metrics: [MetricSpec] = ["accuracy"]
    ) -> Sequential {
        let m = Sequential([Dense(4, activation: .relu, inputDim: 2), last], seed: 1)
        m.compile(optimizer: "sgd", loss: loss, metrics: metrics)
        return m
    }

    private func expect(_ body: @autoclosure () throws -> Any, _ fragments: [String], file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try body(), file: file, line: line) { error in
            guard let e = error as? StrataError else { return XCTFail("not a StrataError: \(error)", file: file, line: line) }
            let text = e.localizedDescription
            for f in fragments { XCTAssertTrue(text.contains(f), "message [\(text)] lacks [\(f)]", file: file, line: line) }
        }
    }

    private var x = Tensor(zeros: [0])
    private var y = Tensor(zeros: [0])

    override func setUpWithError() throws {
        x = try Tensor([[0, 1], [1, 0], [1, 1]])
        y = try toCategorical([0, 2, 1], numClasses: 3)
    }

    func testRowCountsDiffer() {
        expect(try model().fit(x, y.rows(0..<2), verbose: 0), ["x has 3 samples but y has 2"])
        expect(try model().evaluate(x.rows(0..<1), y, verbose: 0), ["x has 1 samples but y has 3"])
    }

    func testNonFiniteValues() {
        let badX = x.copy(); badX[1, 1] = .nan
        expect(try model().fit(badX, y, verbose: 0), ["non-finite", "sample 1"])
        let infX = x.copy(); infX[2, 0] = .infinity
        expect(try model().fit(infX, y, verbose: 0), ["non-finite", "sample 2"])
        let badY = y.copy(); badY[0, 1] = -.infinity
        expect(try model().fit(x, badY, verbose: 0), ["non-finite", "sample 0"])
        expect(try model().predict(badX), ["non-finite"])
    }

    func testTargetsThatDoNotFitTheOutput() {
        expect(
            try model().fit(x, toCategorical([0, 1, 1], numClasses: 2), verbose: 0),
            ["targets have shape [2]", "output is [3]", "toCategorical"])
        // Class ids given to categorical_crossentropy: the hint says to one-hot them.
        expect(try model().fit(x, Tensor(shape: [3, 1], scalars: [0, 2, 1]), verbose: 0), ["targets have shape [1]"])
    }

    func testSparseLabelsOutOfRange() {
        let m = { self.model(loss: "sparse_categorical_crossentropy") }
        expect(try m().fit(x, Tensor([0, 3, 1]), verbose: 0), ["label 3.0 of sample 1", "[0, 3)"])
        expect(try m().fit(x, Tensor([0, -1, 1]), verbose: 0), ["label -1.0 of sample 1"])
        expect(try m().fit(x, Tensor([0, 1.5, 1]), verbose: 0), ["label 1.5"])
        expect(try m().evaluate(x, Tensor(shape: [3, 1], scalars: [0, 1, 7]), verbose: 0), ["label 7.0 of sample 2"])
        expect(try m().fit(x, y, verbose: 0), ["sparse_categorical_crossentropy needs one integer class per sample"])
    }

    func testMissingInputShapeNamesTheLayer() {
        let m = Sequential([Dense(4, name: "hidden"), Dense(1)], seed: 1)
        expect(try m.build(), ["layer 'hidden'", "no input shape", "inputShape"])
        expect(try m.summaryText(), ["layer 'hidden'"])
        expect(try Sequential().build(), ["no layers"])
    }

    func testContradictoryInputShapeNamesTheLayer() {
        expect(
            try Sequential([Dense(4, inputShape: [3], inputDim: 5, name: "first")]).build(),
            ["layer 'first'", "inputDim 5 contradicts inputShape [3]"])
        expect(try Sequential([Dense(4, batchSize: 8, batchInputShape: [4, 3])]).build(), ["layer 'dense'", "contradicts batchSize 8"])
        expect(try Sequential([Dense(4, inputShape: [0])]).build(), ["layer 'dense'", "not positive"])
        expect(try Sequential([Dense(0, inputDim: 2)]).build(), ["layer 'dense'", "units must be positive"])
        // Data whose samples do not have the declared shape.
        expect(try model().fit(Tensor([[0, 1, 2]]), Tensor([[0, 1, 0]]), verbose: 0), ["samples of shape [3]", "expects [2]"])
    }

    func testUnknownNames() {
        let a = Sequential([Dense(1, inputDim: 2)], seed: 1)
        a.compile(optimizer: "adamz", loss: "mse")
        expect(try a.fit(x, Tensor(zeros: [3, 1]), verbose: 0), ["unknown optimizer 'adamz'"])
        let b = Sequential([Dense(1, inputDim: 2)], seed: 1)
        b.compile(optimizer: "adam", loss: "msle_typo")
        expect(try b.fit(x, Tensor(zeros: [3, 1]), verbose: 0), ["unknown loss 'msle_typo'"])
        let c = Sequential([Dense(1, inputDim: 2)], seed: 1)
        c.compile(optimizer: "adam", loss: "mse", metrics: ["precision_at_k"])
        expect(try c.fit(x, Tensor(zeros: [3, 1]), verbose: 0), ["unknown metric 'precision_at_k'"])
        expect(try Sequential([Activation("relux", inputShape: [2])]).build(), ["unknown activation 'relux'"])
    }

    func testBadFitArguments() {
        expect(try model().fit(x, y, batchSize: 0, verbose: 0), ["batchSize must be positive"])
        expect(try model().fit(x, y, verbose: 0, validationSplit: 1.5), ["validationSplit"])
        expect(try model().fit(x, y, epochs: -1, verbose: 0), ["must not be negative"])
        let uncompiled = Sequential([Dense(1, inputDim: 2)])
        expect(try uncompiled.fit(x, Tensor(zeros: [3, 1]), verbose: 0), ["not compiled"])
    }

    /// A custom metric that returns a scalar per batch (Keras's `K.mean(y_pred)`) instead of one value per sample.
    func testCustomMetricWithWrongCount() {
        let perBatch = MetricSpec.custom("mean_pred") { _, yPred in Tensor([try yPred.mean(axis: -1).mean(axis: 0)[flat: 0]]) }
        expect(
            try model(metrics: [perBatch]).fit(x, y, batchSize: 3, verbose: 0),
            ["custom metric 'mean_pred' returned 1 values", "for 3 samples", "one value per sample"])
    }
    // MARK: data a user builds (each of these was a precondition that stopped the process)

    /// Ragged rows, through `fit([[Float]], ...)` as the issue hit it, and through `Tensor([[Float]])`.
    func testRaggedRowsNameTheRowAndLengths() {
        expect(
            try model().fit([[0, 1], [1, 0, 2], [1, 1]], [[1, 0, 0], [0, 1, 0], [0, 0, 1]], verbose: 0),
            ["row 1 has 3 values but row 0 has 2", "pad or trim row 1"])
        expect(try Tensor([[1, 2, 3], [4, 5, 6], [7]]), ["row 2 has 1 values but row 0 has 3"])
        XCTAssertEqual(try Tensor([[1, 2], [3, 4]]).shape, [2, 2])
        XCTAssertEqual(try Tensor([[Float]]()).shape, [0, 0])
    }

    func testShapeThatDoesNotHoldTheScalars() {
        expect(try Tensor(shape: [2, 2], scalars: [1, 2, 3]), ["holds 4 scalars, the data has 3"])
        expect(try Tensor(shape: [-1, 3], scalars: [1, 2, 3]), ["negative dimension"])
        expect(
            try Tensor(shape: [2, 3], scalars: [1, 2, 3, 4, 5, 6]).reshaped([4, 2]),
            ["reshaping [2, 3] to [4, 2]", "holds 8 scalars, the data has 6"])
    }

    func testToCategoricalLabelsOutOfRange() {
        expect(try toCategorical([0, 3, 1], numClasses: 3), ["label 3 at index 1", "[0, 3)", "numClasses"])
        expect(try toCategorical([0, -1]), ["label -1 at index 1"])
        expect(try toCategorical(Tensor([0, .nan])), ["label nan at index 1"])
        XCTAssertEqual(try toCategorical([2, 0]).scalars, [0, 0, 1, 1, 0, 0])  // numClasses = max + 1
    }

    func testMeanOfAnAxisTheTensorLacks() throws {
        let t = try Tensor([[1, 2], [3, 5]])
        expect(try t.mean(axis: 2), ["mean(axis: 2)", "shape [2, 2]"])
        expect(try t.mean(axis: -3), ["mean(axis: -3)"])
        XCTAssertEqual(try t.mean(axis: -1).scalars, [1.5, 4])
        // A custom metric whose closure throws ends fit with that error.
        let bad = MetricSpec.custom("bad") { _, yPred in try yPred.mean(axis: 5) }
        expect(try model(metrics: [bad]).fit(x, y, verbose: 0), ["mean(axis: 5)"])
    }

    /// A batch whose max-pooling input exceeds 32-bit indexing is a clear error naming the batch size that fits,
    /// before any row is read (a dataset that cannot be read proves it).
    func testMaxPoolingBatchBeyond32BitIndexing() {
        struct Unreadable: Dataset {
            var count: Int { 70_000 }
            var xShape: [Int] { [32_768, 1] }
            var yShape: [Int]? { nil }
            var label: String { "unreadable" }
            func read(_ indices: ArraySlice<Int>, x: Tensor, y: Tensor?) throws { XCTFail("read before the pre-flight check") }
            func validateValues() throws {}
        }
        let m = Sequential([MaxPooling1D(poolSize: 2, inputShape: [32_768, 1])])
        expect(try m.predict(Unreadable(), batchSize: 70_000), ["would receive 70000 samples of 32768 values", "pass batchSize: 65535"])
    }
}
