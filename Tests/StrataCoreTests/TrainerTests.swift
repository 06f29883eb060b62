import StrataCore
import TestSupport
import XCTest

final class TrainerTests: XCTestCase {
    /// fit with batches of 2, 2 and 1 over two epochs: history figures are Keras's sample-weighted epoch means
    /// (accumulated while the weights change) and the weights match Keras after 6 steps (core_fit_epochs).
    func testEpochFiguresMatchKeras() throws {
        let set = "core_fit_epochs"
        let m = try Fixtures.manifest(set)
        let model = try KerasFixtureModel.make(set, inputShape: [3], weightsPrefix: "start")
        model.compile(optimizer: SGD(learningRate: 0.5), loss: "categorical_crossentropy", metrics: ["accuracy"])
        let h = try model.fit(try Fixtures.npy(set, "x"), try Fixtures.npy(set, "y"), batchSize: 2, epochs: 2, verbose: 0, shuffle: false)
        for key in ["loss", "accuracy"] {
            let keras = m["history"]![key]!.arrayValue!.map { $0.doubleValue! }
            XCTAssertEqual(h[key]!.count, 2)
            for (a, b) in zip(h[key]!, keras) { XCTAssertEqual(a, b, accuracy: 1e-5, key) }
        }
        let r = Parity.assertUpdate(
            model.getWeights(), keras: try KerasFixtureModel.weights(set, prefix: "end"),
            start: try KerasFixtureModel.weights(set, prefix: "start"), set)
        print("PARITY fit 2 epochs x 3 batches (update ratio): \(String(format: "%.1e", r))")
        XCTAssertEqual(h.params["steps"], 3)
    }

    /// Batches of 2 and 1 with losses 2.5 and 9 report 4.667 (= (2*2.5 + 9) / 3), not 5.75. With lr 0 the
    /// per-sample mse values are fixed: samples with errors sqrt(2), sqrt(3) (batch 1) and 3 (batch 2).
    func testEpochLossIsSampleWeighted() throws {
        let model = Sequential([Dense(1, useBias: false, kernelInitializer: .zeros, inputDim: 1)], seed: 1)
        model.compile(optimizer: SGD(learningRate: 0), loss: "mse")
        let y = try Tensor(shape: [3, 1], scalars: [Float(2).squareRoot(), Float(3).squareRoot(), 3])
        let h = try model.fit(Tensor(shape: [3, 1], scalars: [1, 1, 1]), y, batchSize: 2, epochs: 1, verbose: 0, shuffle: false)
        XCTAssertEqual(h["loss"]![0], 14.0 / 3.0, accuracy: 1e-5)
        XCTAssertEqual(
            try model.evaluate(Tensor(shape: [3, 1], scalars: [1, 1, 1]), y, batchSize: 2, verbose: 0)[0], 14.0 / 3.0, accuracy: 1e-5)
    }

    private func guideData(seed: UInt64, classes: Int, binary: Bool) throws -> (Tensor, Tensor) {
        let d = RandomData(seed: seed)
        let x = d.uniform([1000, 20])
        let y = binary ? d.integerTensor(2, shape: [1000, 1]) : try toCategorical(d.integers(classes, count: 1000), numClasses: classes)
        return (x, y)
    }

    /// The guide's softmax MLP (SGD lr 0.01, decay 1e-6, momentum 0.9, nesterov) on its random data shapes:
    /// the training loss goes down (random labels: the net memorises).
    func testGuideSoftmaxMLPLossGoesDown() throws {
        let (x, y) = try guideData(seed: 1, classes: 10, binary: false)
        let model = Sequential(seed: 42)
        model.add(Dense(64, activation: .relu, inputDim: 20))
        model.add(Dropout(0.5))
        model.add(Dense(64, activation: .relu))
        model.add(Dropout(0.5))
        model.add(Dense(10, activation: .softmax))
        model.compile(
            optimizer: SGD(lr: 0.01, decay: 1e-6, momentum: 0.9, nesterov: true), loss: "categorical_crossentropy",
            metrics: ["accuracy"])
        let before = try model.evaluate(x, y, batchSize: 128, verbose: 0)[0]
        XCTAssertEqual(before, Foundation.log(10), accuracy: 0.3)
        let h = try model.fit(x, y, batchSize: 128, epochs: 8, verbose: 0)
        let after = try model.evaluate(x, y, batchSize: 128, verbose: 0)[0]
        XCTAssertLessThan(h["loss"]!.last!, h["loss"]!.first!)
        XCTAssertLessThan(after, before)
    }

    /// The guide's binary MLP (rmsprop, binary_crossentropy): the training loss goes down.
    func testGuideBinaryMLPLossGoesDown() throws {
        let (x, y) = try guideData(seed: 2, classes: 2, binary: true)
        let model = Sequential(seed: 42)
        model.add(Dense(64, activation: .relu, inputDim: 20))
        model.add(Dropout(0.5))
        model.add(Dense(64, activation: .relu))
        model.add(Dropout(0.5))
        model.add(Dense(1, activation: .sigmoid))
        model.compile(optimizer: "rmsprop", loss: "binary_crossentropy", metrics: ["accuracy"])
        let before = try model.evaluate(x, y, batchSize: 128, verbose: 0)[0]
        let h = try model.fit(x, y, batchSize: 128, epochs: 8, verbose: 0)
        let after = try model.evaluate(x, y, batchSize: 128, verbose: 0)[0]
        XCTAssertLessThan(h["loss"]!.last!, h["loss"]!.first!)
        XCTAssertLessThan(after, before)
    }

    /// XOR is not linearly separable: a hidden tanh layer learns it to 100% accuracy.
    func testXORReachesFullAccuracy() throws {
        let x = try Tensor([[0, 0], [0, 1], [1, 0], [1, 1]]), y = try Tensor(shape: [4, 1], scalars: [0, 1, 1, 0])
        let model = Sequential([Dense(8, activation: .tanh, inputDim: 2), Dense(1, activation: .sigmoid)], seed: 5)
        model.compile(optimizer: Adam(learningRate: 0.05), loss: "binary_crossentropy", metrics: ["accuracy"])
        try model.fit(x, y, batchSize: 4, epochs: 300, verbose: 0)
        let score = try model.evaluate(x, y, verbose: 0)
        XCTAssertEqual(score[1], 1.0)
        XCTAssertLessThan(score[0], 0.1)
        let p = try model.predict(x)
        XCTAssertEqual((0..<4).map { p[$0, 0] > 0.5 ? 1 : 0 }, [0, 1, 1, 0])
    }

    /// Two interleaved moons with softmax + sparse labels reach 100% training accuracy.
    func testTwoMoonsReachesFullAccuracy() throws {
        var rows: [[Float]] = [], labels: [Float] = []
        for i in 0..<40 {
            let t = Float.pi * Float(i) / 39
            rows.append([Foundation.cos(t), Foundation.sin(t)]); labels.append(0)
            rows.append([1 - Foundation.cos(t), 0.5 - Foundation.sin(t)]); labels.append(1)
        }
        let model = Sequential(
            [Dense(16, activation: .relu, inputDim: 2), Dense(16, activation: .relu), Dense(2, activation: .softmax)], seed: 9)
        model.compile(optimizer: Adam(learningRate: 0.02), loss: "sparse_categorical_crossentropy", metrics: ["accuracy"])
        try model.fit(Tensor(rows), Tensor(labels), batchSize: 16, epochs: 150, verbose: 0)
        XCTAssertEqual(try model.evaluate(Tensor(rows), Tensor(labels), verbose: 0)[1], 1.0)
    }

    /// validation_split takes the LAST fraction before shuffling and reports val_ figures equal to evaluate's.
    func testValidationSplitUsesTheLastRows() throws {
        let d = RandomData(seed: 4)
        let x = d.uniform([10, 3]), y = try toCategorical(d.integers(2, count: 10), numClasses: 2)
        let model = Sequential([Dense(2, activation: .softmax, inputDim: 3)], seed: 3)
        model.compile(optimizer: SGD(learningRate: 0), loss: "categorical_crossentropy", metrics: ["accuracy"])
        let h = try model.fit(x, y, batchSize: 3, epochs: 1, verbose: 0, validationSplit: 0.2)
        let ev = try model.evaluate(x.rows(8..<10), y.rows(8..<10), verbose: 0)
        XCTAssertEqual(h["val_loss"]![0], ev[0], accuracy: 1e-6)
        XCTAssertEqual(h["val_accuracy"]![0], ev[1], accuracy: 1e-6)
        XCTAssertEqual(h.params["steps"], 3)  // 8 training rows in batches of 3
    }

    /// Same seed, same result: two fits from the same seed end with identical weights (shuffles and dropout
    /// masks are pure functions of the seed).
    func testSameSeedSameWeights() throws {
        func run() throws -> [[Float]] {
            let d = RandomData(seed: 8)
            let x = d.uniform([20, 4]), y = try toCategorical(d.integers(3, count: 20), numClasses: 3)
            let m = Sequential([Dense(5, activation: .relu, inputDim: 4), Dropout(0.3), Dense(3, activation: .softmax)], seed: 11)
            m.compile(optimizer: "adam", loss: "categorical_crossentropy")
            try m.fit(x, y, batchSize: 6, epochs: 2, verbose: 0)
            return m.getWeights().map(\.scalars)
        }
        XCTAssertEqual(try run(), try run())
    }
}
