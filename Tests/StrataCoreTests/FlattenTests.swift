import StrataCore
import TestSupport
import XCTest

final class FlattenTests: XCTestCase {
    /// C-order flattening (Keras channels_last): element (i, j, k) of a (2, 3, 4) sample lands at i*12 + j*4 + k.
    func testCOrder() throws {
        let m = Sequential([Flatten(inputShape: [2, 3, 4])], seed: 1)
        let x = try Tensor(shape: [1, 2, 3, 4], scalars: (0..<24).map(Float.init))
        let y = try m.predict(x)
        XCTAssertEqual(y.shape, [1, 24])
        XCTAssertEqual(y.scalars, (0..<24).map(Float.init))
        XCTAssertEqual(m.outputShape, [24])
    }

    func testGradients() throws {
        try GradientCheck.check(layer: Flatten(), inputShape: [2, 3], batch: 2)
    }

    /// Flatten then Dense: gradients flow back to the unflattened input.
    func testFlattenThenDenseTrains() throws {
        let m = Sequential([Flatten(inputShape: [2, 2]), Dense(1)], seed: 3)
        m.compile(optimizer: SGD(learningRate: 0.1), loss: "mse")
        let x = GradientCheck.random([6, 2, 2], seed: 1), y = GradientCheck.random([6, 1], seed: 2)
        let before = try m.evaluate(x, y, verbose: 0)[0]
        try m.fit(x, y, batchSize: 6, epochs: 20, verbose: 0)
        XCTAssertLessThan(try m.evaluate(x, y, verbose: 0)[0], before)
    }
}
