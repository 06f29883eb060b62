import TestSupport
import XCTest

@testable import StrataCore

final class LSTMTests: XCTestCase {
    func testMatchesKerasForwardAndGradients() throws {
        try checkCellFixture("rnn_lstm") { LSTM(4, returnSequences: $0, goBackwards: $1) }
    }

    func testHardSigmoidAndReluMatchKeras() throws {
        try checkCellFixture("rnn_lstm_hard") {
            LSTM(4, activation: .relu, recurrentActivation: .hardSigmoid, returnSequences: $0, goBackwards: $1)
        }
    }

    func testFiniteDifferencesThroughTimeWithDropout() throws {
        let data = RandomData(seed: 3)
        let x = data.uniform([3, 4, 2])
        let w = data.uniform([3, 4, 3])
        let h = try RecurrentHarness(
            LSTM(3, dropout: 0.3, recurrentDropout: 0.4, returnSequences: true, goBackwards: true),
            inputShape: [4, 2])
        checkFiniteDifferences(h, x: x, w: w, training: true)
    }

    func testStatefulCarriesStatesAcrossBatchesLikeKeras() throws {
        let set = "rnn_stateful"
        let layer = LSTM(4, returnSequences: true, stateful: true)
        let h = try RecurrentHarness(layer, inputShape: [5, 3])
        h.setWeights(try (0..<3).map { try Fixtures.npy(set, "w\($0)") })
        assertClose(h.forward(try Fixtures.npy(set, "x1")), try Fixtures.npy(set, "y1"), atol: 1e-6, rtol: 1e-5, "y1")
        assertClose(h.forward(try Fixtures.npy(set, "x2")), try Fixtures.npy(set, "y2"), atol: 1e-6, rtol: 1e-5, "y2")
        XCTAssertEqual(layer.states.count, 2)
        assertClose(layer.states[0], try Fixtures.npy(set, "h2"), atol: 1e-6, rtol: 1e-5, "h after two batches")
        assertClose(layer.states[1], try Fixtures.npy(set, "c2"), atol: 1e-6, rtol: 1e-5, "c after two batches")
        layer.resetStates()
        XCTAssertEqual(layer.states[0].scalars, [Float](repeating: 0, count: 8))
        assertClose(h.forward(try Fixtures.npy(set, "x2")), try Fixtures.npy(set, "y2_fresh"), atol: 1e-6, rtol: 1e-5, "after reset")
    }

    func testSetStatesChecksShapes() throws {
        let layer = LSTM(4, stateful: true)
        XCTAssertThrowsError(try layer.setStates([Tensor(zeros: [2, 4])]))
        XCTAssertThrowsError(try layer.setStates([Tensor(zeros: [2, 4]), Tensor(zeros: [2, 3])]))
        try layer.setStates([Tensor(zeros: [2, 4], repeating: 1), Tensor(zeros: [2, 4])])
        XCTAssertEqual(layer.states[0].scalars.reduce(0, +), 8)
        XCTAssertThrowsError(try LSTM(4).setStates([Tensor(zeros: [2, 4]), Tensor(zeros: [2, 4])]))
    }

    /// Stateful stacked model trained by fit (SGD, mse, shuffle off) against the same run in Keras: weights,
    /// states after training, the loss history and a prediction that continues from the trained state.
    func testStatefulFitMatchesKeras() throws {
        let set = "rnn_stateful"
        let model = Sequential(
            [
                LSTM(4, returnSequences: true, stateful: true, batchInputShape: [2, 5, 3]),
                LSTM(3, stateful: true),
                Dense(2),
            ], seed: 1)
        try model.build()
        let start = try (0..<8).map { try Fixtures.npy(set, "fit_start\($0)") }
        try model.setWeights(start)
        model.compile(optimizer: SGD(learningRate: 0.1), loss: "mse")
        let history = try model.fit(
            try Fixtures.npy(set, "fit_x"), try Fixtures.npy(set, "fit_y"), batchSize: 2,
            epochs: 2, verbose: 0, shuffle: false)
        let kerasLoss = try Fixtures.npy(set, "fit_loss").scalars
        for (a, b) in zip(history.history["loss"]!, kerasLoss) { XCTAssertEqual(Float(a), b, accuracy: 1e-5 + 1e-4 * abs(b)) }
        var worst: Float = 0
        for (i, w) in model.getWeights().enumerated() {
            let end = try Fixtures.npy(set, "fit_end\(i)")
            // DESIGN.md parity: max|w - w_keras| / max|w_keras - w_start| <= 1e-3
            let ratio = maxAbsDiff(w, end) / max(maxAbsDiff(end, start[i]), 1e-12)
            worst = max(worst, ratio)
            XCTAssertLessThanOrEqual(ratio, 1e-3, "weight \(i)")
        }
        print("stateful fit: worst weight error / Keras update = \(worst)")
        let l1 = model.layers[0] as! LSTM, l2 = model.layers[1] as! LSTM
        assertClose(l1.states[0], try Fixtures.npy(set, "fit_h1"), atol: 1e-5, rtol: 1e-4, "h1")
        assertClose(l1.states[1], try Fixtures.npy(set, "fit_c1"), atol: 1e-5, rtol: 1e-4, "c1")
        assertClose(l2.states[0], try Fixtures.npy(set, "fit_h2"), atol: 1e-5, rtol: 1e-4, "h2")
        assertClose(l2.states[1], try Fixtures.npy(set, "fit_c2"), atol: 1e-5, rtol: 1e-4, "c2")
        let x = try Fixtures.npy(set, "fit_x")
        let pred = try model.predict(x.rows(0..<2), batchSize: 2)
        assertClose(pred, try Fixtures.npy(set, "fit_pred"), atol: 1e-5, rtol: 1e-4, "prediction after fit")
    }

    func testStatefulBatchingErrors() throws {
        let model = Sequential([LSTM(3, stateful: true, batchInputShape: [2, 4, 2]), Dense(1)], seed: 1)
        model.compile(optimizer: "sgd", loss: "mse")
        let data = RandomData(seed: 1)
        XCTAssertThrowsError(try model.fit(data.uniform([4, 4, 2]), data.uniform([4, 1]), verbose: 0, shuffle: true))
        XCTAssertThrowsError(try model.fit(data.uniform([5, 4, 2]), data.uniform([5, 1]), verbose: 0, shuffle: false))
        XCTAssertNoThrow(try model.fit(data.uniform([4, 4, 2]), data.uniform([4, 1]), verbose: 0, shuffle: false))
        let unbatched = Sequential([LSTM(3, stateful: true, inputShape: [4, 2]), Dense(1)], seed: 1)
        unbatched.compile(optimizer: "sgd", loss: "mse")
        XCTAssertThrowsError(try unbatched.fit(data.uniform([4, 4, 2]), data.uniform([4, 1]), verbose: 0, shuffle: false))
    }

    func testBadInputShapesAreErrors() throws {
        let flat = Sequential([LSTM(3, inputShape: [4])], seed: 1)
        XCTAssertThrowsError(try flat.build()) { e in
            XCTAssertTrue((e as? StrataError)?.errorDescription?.contains("timesteps") == true, "\(e)")
        }
        XCTAssertThrowsError(try Sequential([LSTM(3, inputDim: 4)], seed: 1).build())
        XCTAssertThrowsError(try Sequential([LSTM(3, activation: .softmax, inputShape: [4, 2])], seed: 1).build())
        let both = Sequential([LSTM(3, inputDim: 2, inputLength: 4)], seed: 1)
        try both.build()
        XCTAssertEqual(both.inputShape, [4, 2])
    }

    func testKerasInitialisation() throws {
        let h = try RecurrentHarness(LSTM(3), inputShape: [4, 2])
        XCTAssertEqual(h.parameters.handles.map(\.name), ["kernel", "recurrent_kernel", "bias"])
        XCTAssertEqual(h.parameters.handles.map(\.shape), [[2, 12], [3, 12], [12]])
        XCTAssertEqual(h.value(2).scalars, [0, 0, 0, 1, 1, 1, 0, 0, 0, 0, 0, 0])
        // orthogonal recurrent kernel: rows orthonormal
        let r = h.value(1)
        for a in 0..<3 {
            for b in 0..<3 {
                var dot: Float = 0
                for j in 0..<12 { dot += r[a, j] * r[b, j] }
                XCTAssertEqual(dot, a == b ? 1 : 0, accuracy: 1e-5)
            }
        }
    }

    func testConfigRoundTrip() throws {
        let layer =
            try LayerRegistry.make(
                className: "LSTM",
                config: [
                    "units": 5, "return_sequences": true, "recurrent_activation": "hard_sigmoid", "go_backwards": true,
                    "stateful": false, "dropout": 0.25, "batch_input_shape": [nil, 7, 3], "name": "lstm_x",
                ]) as! LSTM
        XCTAssertEqual(layer.units, 5)
        XCTAssertEqual(layer.recurrentActivation, .hardSigmoid)
        XCTAssertTrue(layer.returnSequences && layer.goBackwards)
        XCTAssertEqual(layer.inputSpec?.shape, [7, 3])
        XCTAssertEqual(layer.config["units"], 5)
        XCTAssertThrowsError(try LayerRegistry.make(className: "LSTM", config: ["units": 3, "return_state": true]))
        XCTAssertThrowsError(try LayerRegistry.make(className: "LSTM", config: ["units": 3, "unit_forget": true]))
    }
}

final class LSTMShardingTests: XCTestCase {
    /// What p ranks do with a stateful LSTM: each runs its rows of every global batch with `firstRow` set, and
    /// its states are sized by those rows. Two shards must reproduce the one-process outputs, states and
    /// gradients (dropout masks included), batch after batch.
    func testTwoShardsMatchOneProcess() throws {
        let make = { LSTM(3, dropout: 0.3, recurrentDropout: 0.3, returnSequences: true, stateful: true) }
        let whole = try RecurrentHarness(make(), inputShape: [4, 2])
        let shards = try [RecurrentHarness(make(), inputShape: [4, 2]), RecurrentHarness(make(), inputShape: [4, 2])]
        let weights = (0..<3).map { whole.value($0).copy() }
        for s in shards { s.setWeights(weights) }
        let data = RandomData(seed: 8)
        for step in 0..<3 {
            let x = data.uniform([4, 4, 2]), dy = data.uniform([4, 4, 3])
            let y = whole.forward(x, training: true, step: step)
            let dx = whole.backward(dy, training: true, step: step)
            for (r, s) in shards.enumerated() {
                let rows = (2 * r)..<(2 * r + 2)
                let ys = s.forward(x.rows(rows).copy(), training: true, step: step, firstRow: 2 * r)
                XCTAssertEqual(ys.scalars, y.rows(rows).scalars, "step \(step) shard \(r) output")
                let dxs = s.backward(dy.rows(rows).copy(), training: true, step: step, firstRow: 2 * r)
                assertClose(dxs, dx.rows(rows).copy(), atol: 1e-6, rtol: 1e-5, "step \(step) shard \(r) dx")
                let states = (s.layer as! LSTM).states
                XCTAssertEqual(states[0].shape, [2, 3])
                XCTAssertEqual(states[0].scalars, (whole.layer as! LSTM).states[0].rows(rows).scalars)
                XCTAssertEqual(states[1].scalars, (whole.layer as! LSTM).states[1].rows(rows).scalars)
            }
            // the weight gradients of the two shards sum to the whole batch's
            for i in 0..<3 {
                let sum = shards[0].gradient(i)
                Kernels.add(shards[1].gradient(i), into: sum, count: sum.count)
                assertClose(sum, whole.gradient(i), atol: 1e-5, rtol: 1e-4, "step \(step) gradient \(i)")
            }
        }
    }

    /// The run's pool splits each step (the recurrent GEMMs by columns, the gate math by rows) over its threads:
    /// with 2 and 3 threads the outputs, input gradient and weight gradients match one thread's to float summation
    /// tolerance, and two runs at the same thread count agree bit for bit. 8 rows x 128 units is past both splits'
    /// grains, with input and recurrent dropout.
    func testStepsSplitOverThePoolMatchOneThread() throws {
        let make = { LSTM(128, dropout: 0.2, recurrentDropout: 0.3, returnSequences: true) }
        let data = RandomData(seed: 5)
        let x = data.uniform([8, 3, 4]), dy = data.uniform([8, 3, 128])
        func run(threads: Int) throws -> [Tensor] {
            let h = try RecurrentHarness(make(), inputShape: [3, 4])
            h.pool = ThreadPool(threads: threads)
            let y = h.forward(x, training: true, step: 2)
            XCTAssertEqual((h.layer as! LSTM).core.stepParts(h.pool!, width: 512), threads, "parts per step")
            let dx = h.backward(dy, training: true, step: 2)
            return [y, dx] + (0..<3).map(h.gradient)
        }
        let one = try run(threads: 1)
        for threads in [2, 3] {
            let many = try run(threads: threads), again = try run(threads: threads)
            for (i, (a, b)) in zip(many, one).enumerated() {
                assertClose(a, b, atol: 1e-6, rtol: 1e-5, "\(threads) threads, tensor \(i)")
                XCTAssertTrue(a.scalars == again[i].scalars, "\(threads) threads, tensor \(i): run to run")
            }
        }
    }
}
