import TestSupport
import XCTest

@testable import StrataCore

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

    /// Reads the optimizer slots after the given batches (as a checkpoint would), recording whether a row-sparse
    /// update was still deferred then and the slots it read.
    final class SlotReader: Callback {
        let batches: Set<Int>
        var deferredSeen = 0
        var read: [[UInt32]] = []
        init(batches: Set<Int>) { self.batches = batches }
        func onBatchEnd(_ batch: Int, logs: [String: Double], context: TrainingContext) throws {
            guard batches.contains(batch), let st = context.model.optimizerState else { return }
            if st.deferred != nil { deferredSeen += 1 }
            read += st.slots.map { $0.scalars.map(\.bitPattern) }
        }
    }

    func train(_ optimizer: Optimizer, sparse: Bool, reader: SlotReader? = nil, fits: Int = 1, width: Int = 4) throws -> (
        weights: [UInt32], slots: [[UInt32]]
    ) {
        let model = Sequential(
            [Embedding(60, outputDim: width, inputShape: [5]), Flatten(), Dense(1, activation: .sigmoid)],
            seed: 3)
        model.rowSparseUpdates = sparse
        model.compile(optimizer: optimizer, loss: "binary_crossentropy")
        let (x, y) = data()
        for k in 0..<fits {
            try model.fit(x, y, batchSize: 8, epochs: 3 * (k + 1), verbose: 0, callbacks: reader.map { [$0] } ?? [], initialEpoch: 3 * k)
        }
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

    /// Rows wider than the row kernel's 32-scalar blocks (one block and a tail of 5, two blocks) end bit for bit
    /// where the dense step ends them.
    func testWideRowsSparseEqualsDense() throws {
        for width in [37, 64] {
            let dense = try train(RMSprop(learningRate: 0.01), sparse: false, width: width)
            let sparse = try train(RMSprop(learningRate: 0.01), sparse: true, width: width)
            XCTAssertEqual(sparse.weights, dense.weights, "width \(width)")
            XCTAssertEqual(sparse.slots, dense.slots, "width \(width)")
        }
    }

    /// RMSprop's one-pass row kernel against the two steps written out here from Keras's formula: `missed` products
    /// `a = rho a`, then `a = rho a + (1 - rho) g^2; p -= lr g / sqrt(a + eps)`, each rounded to Float; rows not in
    /// the list stay as they were. Rows of 37 (a 32-scalar block and a tail) and 256 scalars (lstm_seq's), missed
    /// counts 0 to 23, neighbouring and distant rows, subnormal accumulators.
    func testRowKernelMatchesTheStepsWrittenOut() {
        let opt = RMSprop(learningRate: 0.003, rho: 0.85, epsilon: 1e-7)
        let rng = CounterRandom(seed: 11)
        for width in [37, 256] {
            let rows = 9
            let n = rows * width
            let p = Tensor(zeros: [n]), g = Tensor(zeros: [n]), a = Tensor(zeros: [n])
            for i in 0..<n {
                p[flat: i] = rng.uniform(UInt64(i)) - 0.5
                g[flat: i] = (rng.uniform(UInt64(n + i)) - 0.5) * 1e-2
                a[flat: i] = i % 11 == 0 ? 1e-39 : rng.uniform(UInt64(2 * n + i)) * 1e-3
            }
            var batch = SparseRows(width: width)
            for (row, missed) in [(0, 0), (1, 3), (4, 23), (5, 1), (8, 7)] {
                batch.starts.append(row * width)
                batch.missed.append(Int32(missed))
            }
            let (p0, a0) = (p.scalars, a.scalars)
            var expectP = p0, expectA = a0
            for (start, missed) in zip(batch.starts, batch.missed) {
                for i in start..<(start + width) {
                    var ai = expectA[i]
                    for _ in 0..<missed { ai = opt.rho * ai }
                    let gi = g[flat: i]
                    ai = opt.rho * ai + (1 - opt.rho) * gi * gi
                    expectA[i] = ai
                    expectP[i] -= opt.learningRate * gi / (ai + opt.epsilon).squareRoot()
                }
            }
            var scalars: [Double] = []
            opt.updateRows(batch, values: p, gradients: g, slots: [a], scalars: &scalars, iteration: 0, lr: opt.learningRate)
            XCTAssertEqual(p.scalars.map(\.bitPattern), expectP.map(\.bitPattern), "values, width \(width)")
            XCTAssertEqual(a.scalars.map(\.bitPattern), expectA.map(\.bitPattern), "accumulator, width \(width)")
            XCTAssertNotEqual(p.scalars, p0, "the listed rows moved")
        }
    }

    /// The untouched rows' decay waits until a step touches the row again or someone reads the slots: read in the
    /// middle of training (as `ModelCheckpoint` does), the slots are the dense step's, bit for bit, and training
    /// continues to the dense result; so does a second `fit` on the same model.
    func testRMSpropDeferredDecayIsExactWhenReadMidRun() throws {
        let denseReader = SlotReader(batches: [1, 3]), sparseReader = SlotReader(batches: [1, 3])
        let dense = try train(RMSprop(learningRate: 0.01), sparse: false, reader: denseReader, fits: 2)
        let sparse = try train(RMSprop(learningRate: 0.01), sparse: true, reader: sparseReader, fits: 2)
        XCTAssertEqual(sparse.weights, dense.weights)
        XCTAssertEqual(sparse.slots, dense.slots)
        XCTAssertEqual(sparseReader.read, denseReader.read)
        XCTAssertEqual(sparseReader.read.count, 12)  // 2 fits x 3 epochs x 2 batches, one slot each
        XCTAssertEqual(sparseReader.deferredSeen, 12, "the row-sparse step deferred the untouched rows' decay")
        XCTAssertEqual(denseReader.deferredSeen, 0)
    }

    /// Catching a row up `k` steps late multiplies by `rho` k times, each product rounded as the step rounds it.
    func testCatchUpRoundsEveryStep() {
        let opt = RMSprop(rho: 0.9)
        let a = Tensor(zeros: [40]), b = Tensor(zeros: [40])  // 32 in vector registers, 8 one by one
        for i in 0..<40 { a[flat: i] = [Float(0.3), 1e-3, 7.5, 1e-37][i % 4] * Float(i + 1); b[flat: i] = a[flat: i] }
        opt.applyZeroGradient(slots: [a], times: 23)
        for _ in 0..<23 { opt.applyZeroGradient(slots: [b]) }
        XCTAssertEqual(a.scalars.map(\.bitPattern), b.scalars.map(\.bitPattern))
        XCTAssertEqual(Double(a[flat: 2]), 7.5 * 3 * pow(0.9, 23.0), accuracy: 1e-5)  // the closed form, to rounding
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
