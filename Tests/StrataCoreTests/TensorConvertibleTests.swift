import StrataCore
import TestSupport
import XCTest

/// Swift arrays and tensors are one kind of input: the same numbers in the same row-major layout, any mix accepted
/// by `fit`, `evaluate`, `predict`, `validationData` and `toCategorical`, ragged arrays a thrown error.
final class TensorConvertibleTests: XCTestCase {
    func testArraysBecomeRowMajorTensorsOfTheirShape() throws {
        let rows: [[Float]] = [[1, 2, 3], [4, 5, 6]]
        XCTAssertEqual(try rows.makeTensor().shape, [2, 3])
        XCTAssertEqual(try rows.makeTensor().scalars, [1, 2, 3, 4, 5, 6])
        let sequences: [[[Float]]] = [[[1, 2], [3, 4], [5, 6]], [[7, 8], [9, 10], [11, 12]]]
        XCTAssertEqual(try sequences.makeTensor().shape, [2, 3, 2])
        XCTAssertEqual(try sequences.makeTensor().scalars, (1...12).map(Float.init))
        XCTAssertEqual(try [3, 0, 7].makeTensor().scalars, [3, 0, 7], "[Int] ids and labels are stored as floats")
        XCTAssertEqual(try [[1, 2], [3, 4]].makeTensor().shape, [2, 2], "[[Int]] token sequences")
        XCTAssertEqual(try [[0.5, 1.5]].makeTensor().scalars, [0.5, 1.5], "a Double literal rounds to Float32")
        XCTAssertEqual(try [Float]().makeTensor().shape, [0])
        let t = try Tensor(shape: [2, 2], scalars: [1, 2, 3, 4])
        XCTAssertTrue(try t.makeTensor().storage === t.storage, "a Tensor converts to itself without a copy")
    }

    func testRaggedArraysAreThrownErrorsNamingTheRow() {
        let rows: [[Float]] = [[1, 2, 3], [4, 5, 6], [7, 8]]
        XCTAssertThrowsError(try rows.makeTensor()) { error in
            XCTAssertTrue(error.localizedDescription.contains("row 2 has 2 values but row 0 has 3"), "\(error)")
        }
        XCTAssertThrowsError(try [[1, 2, 3], [4, 5]].makeTensor()) { error in  // [[Int]]: the generic path, same words
            XCTAssertTrue(error.localizedDescription.contains("row 1 has 2 values but row 0 has 3"), "\(error)")
        }
        let deep: [[[Float]]] = [[[1, 2], [3, 4]], [[5, 6], [7]]]
        XCTAssertThrowsError(try deep.makeTensor()) { error in
            XCTAssertTrue(error.localizedDescription.contains("row [1][1] has 1 values but row [1][0] has 2"), "\(error)")
        }
        let uneven: [[[Float]]] = [[[1, 2]], [[3, 4], [5, 6]]]
        XCTAssertThrowsError(try uneven.makeTensor()) { error in
            XCTAssertTrue(error.localizedDescription.contains("element 1 has shape [2, 2] but element 0 has shape [1, 2]"), "\(error)")
        }
        let model = Sequential([Dense(2, inputDim: 3)], seed: 1)
        model.compile(optimizer: "sgd", loss: "mse")
        XCTAssertThrowsError(try model.fit(rows, [[Float]](repeating: [0, 0], count: 3), verbose: 0))
        XCTAssertThrowsError(try model.predict(rows))
    }

    /// Any mix of arrays and tensors trains exactly as the same numbers given as tensors (the reference path).
    func testMixedInputsTrainAsTensorsDo() throws {
        let d = RandomData(seed: 7)
        let x = d.uniform([24, 5]), labels = d.integers(3, count: 24)
        let xVal = d.uniform([6, 5]), labelsVal = d.integers(3, count: 6)
        func model() -> Sequential {
            let m = Sequential([Dense(4, activation: .relu, inputDim: 5), Dense(3, activation: .softmax)], seed: 3)
            m.compile(optimizer: "adam", loss: "categorical_crossentropy", metrics: ["accuracy"])
            return m
        }
        let reference = model()
        let h1 = try reference.fit(
            x, toCategorical(labels, numClasses: 3), batchSize: 8, epochs: 2, verbose: 0,
            validationData: (xVal, try toCategorical(labelsVal, numClasses: 3)))
        let rows = (0..<24).map { Array(x.scalars[($0 * 5)..<($0 * 5 + 5)]) }
        let valRows = (0..<6).map { Array(xVal.scalars[($0 * 5)..<($0 * 5 + 5)]) }
        let oneHotRows = (0..<6).map { i in (0..<3).map { Float($0 == labelsVal[i] ? 1 : 0) } }
        let mixed = model()
        let h2 = try mixed.fit(
            rows, toCategorical(labels, numClasses: 3), batchSize: 8, epochs: 2, verbose: 0,
            validationData: (valRows, oneHotRows))
        XCTAssertEqual(h2.history, h1.history)
        XCTAssertEqual(mixed.getWeights().map(\.scalars), reference.getWeights().map(\.scalars))
        XCTAssertEqual(
            try mixed.evaluate(rows, toCategorical(labels, numClasses: 3), verbose: 0),
            try reference.evaluate(x, toCategorical(labels, numClasses: 3), verbose: 0))
        XCTAssertEqual(try mixed.predict(valRows).scalars, try reference.predict(xVal).scalars)
    }

    func testToCategoricalTakesLabelsInAnyForm() throws {
        let expected: [Float] = [0, 1, 0, 0, 0, 1, 1, 0, 0]
        XCTAssertEqual(try toCategorical([1, 2, 0], numClasses: 3).scalars, expected)
        XCTAssertEqual(try toCategorical([[1], [2], [0]] as [[Int]], numClasses: 3).scalars, expected, "(N, 1) labels")
        XCTAssertEqual(try toCategorical([1, 2, 0] as [Float]).scalars, expected, "numClasses defaults to max + 1")
        XCTAssertEqual(try toCategorical([[1, 2], [0, 1]] as [[Int]], numClasses: 3).shape, [2, 2, 3], "sequences of labels")
        XCTAssertThrowsError(try toCategorical([[1], [2, 0]] as [[Int]], numClasses: 3))
        XCTAssertThrowsError(try toCategorical([[1], [3]] as [[Int]], numClasses: 3)) { error in
            XCTAssertTrue(error.localizedDescription.contains("label 3 at index 1 is not a class id in [0, 3)"), "\(error)")
        }
        XCTAssertThrowsError(try toCategorical([-1, 0] as [Float]))
    }
}
