import StrataCore
import TestSupport
import XCTest

/// The row-sparse step (Embedding rows zeroed and updated only where the batch had ids, the others given the
/// optimizer's zero-gradient update) ends every weight and optimizer slot bit-identical to the dense step.
final class RowSparseStepTests: XCTestCase {
    /// Ids from a few clustered parts of a 60-row vocabulary, so most rows stay untouched in a step, some touched
    /// rows are neighbours (runs) and the first and last rows occur.
    func data() -> (Tensor, Tensor) {
        let n = 37, len = 5
        let x = Tensor(zeros: [n, len]), y = Tensor(zeros: [n, 1])
        let rng = CounterRandom(seed: 5)
        let pool = [0, 1, 2, 7, 8, 20, 33, 34, 35, 59]
        for i in 0..<n {
            for j in 0..<len { x[flat: i * len + j] = Float(pool[Int(rng.bits(UInt64(i * len + j)) % UInt64(pool.count))]) }
            y[flat: i] = rng.uniform(UInt64(10_000 + i)) < 0.5 ? 0 : 1
        }
        return (x, y)
    }

    func train(_ optimizer: Optimizer, sparse: Bool) throws -> (weights: [UInt32], slots: [[UInt32]]) {
        let model = Sequential(
            [Embedding(60, outputDim: 4, inputShape: [5]), Flatten(), Dense(1, activation: .sigmoid)],
            seed: 3)
        model.rowSparseUpdates = sparse
        model.compile(optimizer: optimizer, loss: "binary_crossentropy")
        let (x, y) = data()
        try model.fit(x, y, batchSize: 8, epochs: 3, verbose: 0)
        return (
            model.parameters!.values.scalars.map(\.bitPattern),
            model.optimizerState!.slots.map { $0.scalars.map(\.bitPattern) }
        )
    }

    func testRMSpropSparseEqualsDense() throws {
        let dense = try train(RMSprop(learningRate: 0.01), sparse: false)
        let sparse = try train(RMSprop(learningRate: 0.01), sparse: true)
        XCTAssertEqual(sparse.weights, dense.weights)
        XCTAssertEqual(sparse.slots, dense.slots)
        // The untouched rows' accumulators did decay (they were touched in earlier steps and are non-zero).
        XCTAssertTrue(dense.slots[0].contains { $0 != 0 })
    }

    func testSGDSparseEqualsDense() throws {
        let dense = try train(SGD(learningRate: 0.1), sparse: false)
        let sparse = try train(SGD(learningRate: 0.1), sparse: true)
        XCTAssertEqual(sparse.weights, dense.weights)
    }

    /// Optimizers whose zero-gradient update moves the values (momentum, Adam) keep the dense step.
    func testMomentumAndAdamStayDense() throws {
        XCTAssertFalse(RMSprop(momentum: 0.9).skipsZeroGradientRows)
        XCTAssertFalse(RMSprop(centered: true).skipsZeroGradientRows)
        XCTAssertFalse(SGD(momentum: 0.9).skipsZeroGradientRows)
        XCTAssertNil(Adam() as? ZeroGradientUpdating)
        let a = try train(RMSprop(learningRate: 0.01, momentum: 0.5), sparse: true)
        let b = try train(RMSprop(learningRate: 0.01, momentum: 0.5), sparse: false)
        XCTAssertEqual(a.weights, b.weights)
    }

    /// Clipping keeps the row-sparse step (it scales the exact gradient; zero rows stay zero), bit-identical to the
    /// dense step; weight decay and the EMA touch every row, so they run the dense step, with the same result.
    func testClippingWeightDecayAndEMASparseEqualDense() throws {
        let make: [(String, () -> Optimizer)] = [
            ("clipnorm", { RMSprop(learningRate: 0.05).with(clipnorm: 0.01) }),
            ("global_clipnorm", { RMSprop(learningRate: 0.05).with(globalClipnorm: 0.01) }),
            ("clipvalue", { SGD(learningRate: 0.5).with(clipvalue: 0.001) }),
            ("weight_decay", { RMSprop(learningRate: 0.05).with(weightDecay: 0.5) }),
            ("ema", { SGD(learningRate: 0.5).with(useEma: true, emaOverwriteFrequency: 3) }),
        ]
        for (name, opt) in make {
            let dense = try train(opt(), sparse: false)
            let sparse = try train(opt(), sparse: true)
            XCTAssertEqual(sparse.weights, dense.weights, name)
            XCTAssertEqual(sparse.slots, dense.slots, name)
            XCTAssertNotEqual(
                dense.weights,
                try train(
                    name.hasPrefix("clipv") || name == "ema" ? SGD(learningRate: 0.5) : RMSprop(learningRate: 0.05),
                    sparse: false
                ).weights, "\(name) changes the result")
        }
    }
}
