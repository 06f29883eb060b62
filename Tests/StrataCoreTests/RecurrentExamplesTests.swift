import TestSupport
import XCTest

@testable import StrataCore

/// The Keras guide's three recurrent examples, written as the guide writes them, with small shapes.
final class RecurrentExamplesTests: XCTestCase {
    /// "Sequence classification with LSTM": Embedding + LSTM + Dropout + Dense(sigmoid), rmsprop.
    func testSequenceClassificationLossGoesDown() throws {
        let maxFeatures = 30, length = 6
        let data = RandomData(seed: 11)
        let x = data.integerTensor(maxFeatures, shape: [64, length])
        let y = Tensor(zeros: [64, 1])
        for i in 0..<64 { y[i, 0] = x[i, length - 1] >= Float(maxFeatures / 2) ? 1 : 0 }
        let model = Sequential(seed: 42)
        model.add(Embedding(maxFeatures, outputDim: 8))
        model.add(LSTM(8))
        model.add(Dropout(0.5))
        model.add(Dense(1, activation: .sigmoid))
        model.compile(optimizer: "rmsprop", loss: "binary_crossentropy", metrics: ["accuracy"])
        let history = try model.fit(x, y, batchSize: 16, epochs: 20, verbose: 0)
        let loss = history.history["loss"]!
        XCTAssertLessThan(loss.last!, loss.first! - 0.02, "loss \(loss)")
        let score = try model.evaluate(x, y, batchSize: 16, verbose: 0)
        XCTAssertEqual(score.count, 2)
    }

    /// "Stacked LSTM for sequence classification": three LSTMs, the first two returning sequences.
    func testStackedLSTMLossGoesDown() throws {
        let timesteps = 4, dataDim = 5, numClasses = 3
        let model = Sequential(seed: 42)
        model.add(LSTM(8, returnSequences: true, inputShape: [timesteps, dataDim]))
        model.add(LSTM(8, returnSequences: true))
        model.add(LSTM(8))
        model.add(Dense(numClasses, activation: .softmax))
        model.compile(optimizer: "rmsprop", loss: "categorical_crossentropy", metrics: ["accuracy"])
        let data = RandomData(seed: 1)
        let xTrain = data.uniform([64, timesteps, dataDim])
        let yTrain = try toCategorical(data.integers(numClasses, count: 64), numClasses: numClasses)
        let xVal = data.uniform([16, timesteps, dataDim])
        let yVal = try toCategorical(data.integers(numClasses, count: 16), numClasses: numClasses)
        let history = try model.fit(xTrain, yTrain, batchSize: 16, epochs: 10, verbose: 0, validationData: (xVal, yVal))
        let loss = history.history["loss"]!
        XCTAssertLessThan(loss.last!, loss.first!, "loss \(loss)")
        XCTAssertEqual(history.history["val_loss"]?.count, 10)
        XCTAssertEqual(model.outputShape, [numClasses])
    }

    /// "Same stacked LSTM model, rendered stateful": fixed batch, shuffle off, states carried, resetStates.
    func testStatefulStackedLSTM() throws {
        let timesteps = 4, dataDim = 5, numClasses = 3, batchSize = 4
        let model = Sequential(seed: 42)
        model.add(LSTM(8, returnSequences: true, stateful: true, batchInputShape: [batchSize, timesteps, dataDim]))
        model.add(LSTM(8, returnSequences: true, stateful: true))
        model.add(LSTM(8, stateful: true))
        model.add(Dense(numClasses, activation: .softmax))
        model.compile(optimizer: "rmsprop", loss: "categorical_crossentropy", metrics: ["accuracy"])
        let data = RandomData(seed: 1)
        let xTrain = data.uniform([batchSize * 6, timesteps, dataDim])
        let yTrain = try toCategorical(data.integers(numClasses, count: batchSize * 6), numClasses: numClasses)
        let xVal = data.uniform([batchSize * 2, timesteps, dataDim])
        let yVal = try toCategorical(data.integers(numClasses, count: batchSize * 2), numClasses: numClasses)
        let history = try model.fit(
            xTrain, yTrain, batchSize: batchSize, epochs: 8, verbose: 0,
            validationData: (xVal, yVal), shuffle: false)
        let loss = history.history["loss"]!
        XCTAssertLessThan(loss.last!, loss.first!, "loss \(loss)")
        let last = model.layers[2] as! LSTM
        XCTAssertEqual(last.states.map(\.shape), [[batchSize, 8], [batchSize, 8]])
        XCTAssertTrue(last.states[0].scalars.contains { $0 != 0 })
        // predict continues from the carried state: the same input twice gives different outputs, until reset.
        let probe = xVal.rows(0..<batchSize).copy()
        let a = try model.predict(probe)
        let b = try model.predict(probe)
        XCTAssertNotEqual(a.scalars, b.scalars)
        model.resetStates()
        XCTAssertTrue(last.states[0].scalars.allSatisfy { $0 == 0 })
        let c = try model.predict(probe)
        model.resetStates()
        XCTAssertEqual(try model.predict(probe).scalars, c.scalars)
    }

    /// ResetStatesCallback zeroes the states at each epoch start: two epochs then equal one epoch's end state
    /// after a fresh start on the same batches.
    func testResetStatesCallback() throws {
        func run(epochs: Int, reset: Bool) throws -> [Float] {
            let model = Sequential([LSTM(3, stateful: true, batchInputShape: [2, 3, 2]), Dense(1)], seed: 5)
            model.compile(optimizer: SGD(learningRate: 0), loss: "mse")  // weights fixed: only the states move
            let data = RandomData(seed: 2)
            try model.fit(
                data.uniform([4, 3, 2]), data.uniform([4, 1]), batchSize: 2, epochs: epochs, verbose: 0,
                callbacks: reset ? [ResetStatesCallback()] : [], shuffle: false)
            return (model.layers[0] as! LSTM).states[0].scalars
        }
        XCTAssertEqual(try run(epochs: 2, reset: true), try run(epochs: 1, reset: false))
        XCTAssertNotEqual(try run(epochs: 2, reset: false), try run(epochs: 1, reset: false))
    }
}
