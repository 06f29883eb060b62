import TestSupport
import XCTest

@testable import StrataCore

/// Finite-difference gradients, closed forms and argument errors of issue 15's sequence layers (their Keras parity
/// is in SequenceLayersKerasTests).
final class SequenceLayersTests: XCTestCase {
    /// A padding mask `(N, T)` with masked steps at the end, the start and in the middle.
    func paddingMask(_ n: Int, _ t: Int) -> Tensor {
        let m = Tensor(zeros: [n, t], repeating: 1)
        for s in 0..<t where s >= t - 2 { m[flat: s] = 0 }
        if n > 1 { m[flat: t] = 0 }
        if n > 2 { m[flat: 2 * t + t / 2] = 0 }
        return m
    }

    /// Central differences of `sum(y * r)` against the analytic gradients of every weight and the input, with
    /// the timestep mask `mask` in the context.
    func assertFiniteDifferences(
        _ layer: Layer, x: Tensor, mask: Tensor?, file: StaticString = #filePath, line: UInt = #line
    ) throws {
        var allocator = WeightAllocator()
        let outShape = try layer.build(inputShape: Array(x.shape.dropFirst()), weights: &allocator)
        let p = Parameters(handles: allocator.handles, count: allocator.total)
        p.initialize(seed: 5)
        var context = LayerContext(training: false, parameters: p)
        context.mask = mask
        let r = normalTensor([x.shape[0]] + outShape, seed: 8)
        func objective() -> Double {
            let y = layer.forward(x, context: context)
            return (0..<y.count).reduce(0.0) { $0 + Double(y[flat: $1]) * Double(r[flat: $1]) }
        }
        p.gradients.fill(0)
        _ = layer.forward(x, context: context)
        let dx = layer.backward(r, context: context).copy()
        let dw = p.gradients.copy()
        var worst = 0.0
        for (t, analytic) in [(x, dx), (p.values, dw)] where t.count > 0 {
            let scale = max(1e-3, (0..<analytic.count).map { Double(abs(analytic[flat: $0])) }.max() ?? 0)
            let numeric = GradientCheck.numericGradient(t, at: 0..<t.count, step: { _ in 1e-2 }) { objective() }
            for i in 0..<t.count { worst = max(worst, abs(numeric[i] - Double(analytic[flat: i])) / scale) }
        }
        XCTAssertLessThan(worst, 5e-3, "\(layer.className): finite-difference error \(worst)", file: file, line: line)
    }

    func testMaskedRecurrentGradients() throws {
        let x = normalTensor([3, 5, 2], seed: 1), m = paddingMask(3, 5)
        for seq in [true, false] {
            for back in [false, true] {
                try assertFiniteDifferences(LSTM(3, returnSequences: seq, goBackwards: back), x: x, mask: m)
                try assertFiniteDifferences(GRU(3, returnSequences: seq, goBackwards: back), x: x, mask: m)
                try assertFiniteDifferences(SimpleRNN(3, returnSequences: seq, goBackwards: back), x: x, mask: m)
            }
        }
        try assertFiniteDifferences(GlobalAveragePooling1D(), x: x, mask: m)
        let zeroing = LSTM(3, returnSequences: true)
        zeroing.zeroOutputForMask = true
        try assertFiniteDifferences(zeroing, x: x, mask: m)
    }

    func testBidirectionalGradients() throws {
        let x = normalTensor([3, 4, 2], seed: 2)
        for mode in [Bidirectional.MergeMode.concat, .sum, .mul, .ave] {
            try assertFiniteDifferences(Bidirectional(LSTM(2, returnSequences: true), mergeMode: mode), x: x, mask: nil)
            try assertFiniteDifferences(Bidirectional(GRU(2), mergeMode: mode), x: x, mask: paddingMask(3, 4))
        }
        try assertFiniteDifferences(Bidirectional(SimpleRNN(2, returnSequences: true), mergeMode: .mul), x: x, mask: paddingMask(3, 4))
    }

    func testReshapingLayerGradients() throws {
        try assertFiniteDifferences(RepeatVector(3), x: normalTensor([2, 4], seed: 3), mask: nil)
        try assertFiniteDifferences(Permute([3, 1, 2]), x: normalTensor([2, 2, 3, 4], seed: 4), mask: nil)
        try assertFiniteDifferences(TimeDistributed(Dense(3, activation: .tanh)), x: normalTensor([2, 4, 5], seed: 5), mask: nil)
        try assertFiniteDifferences(TimeDistributed(Conv2D(2, kernelSize: (2, 2))), x: normalTensor([2, 3, 4, 4, 1], seed: 6), mask: nil)
    }

    /// Closed forms: a masked step keeps the state (so a sequence padded at the end gives the unpadded sequence's
    /// last output), and Masking zeros the masked steps and makes the mask.
    func testMaskedStepsAreSkipped() throws {
        let full = normalTensor([1, 3, 2], seed: 9)
        let padded = Tensor(zeros: [1, 5, 2])
        for i in 0..<6 { padded[flat: i] = full[flat: i] }
        let model = Sequential([Masking(maskValue: 0, inputShape: [5, 2]), LSTM(3)], seed: 4)
        try model.build()
        let short = Sequential([LSTM(3, inputShape: [3, 2])], seed: 4)
        try short.build()
        try short.setWeights(model.getWeights())
        Parity.assertClose(try model.predict(padded), try short.predict(full), absolute: 1e-7, relative: 1e-6, "padded vs short")
        let masking = Masking(maskValue: 0)
        var allocator = WeightAllocator()
        _ = try masking.build(inputShape: [5, 2], weights: &allocator)
        _ = masking.forward(padded, context: LayerContext(training: false, parameters: Parameters(handles: [], count: 0)))
        XCTAssertEqual(masking.outputMask(inputMask: nil)?.scalars, [1, 1, 1, 0, 0])
    }

    func testOutputMaskFollowsKerasComputeMask() {
        func carries(_ layers: [Layer]) -> Bool { Sequential(layers).outputCarriesMask }
        XCTAssertTrue(carries([Embedding(5, outputDim: 2, maskZero: true), LSTM(2, returnSequences: true), Dense(1)]))
        XCTAssertFalse(carries([Embedding(5, outputDim: 2, maskZero: true), LSTM(2), Dense(1)]))
        XCTAssertFalse(carries([Embedding(5, outputDim: 2), LSTM(2, returnSequences: true), Dense(1)]))
        XCTAssertFalse(carries([Masking(), LSTM(2, returnSequences: true), Flatten()]))  // Flatten drops it, as in Keras
        XCTAssertTrue(carries([Masking(), Bidirectional(GRU(2, returnSequences: true)), TimeDistributed(Dense(1))]))
    }

    /// Keras's BatchNormalization takes its training moments over the unmasked steps only: Strata does so for
    /// inputs `(timesteps, channels)` normalized over the last axis (MaskedOutputTests checks the numbers), and
    /// refuses to train one normalizing another axis under a mask rather than differ silently.
    func testBatchNormalizationReceivingAMaskOnAnotherAxisIsRefusedForTraining() throws {
        let ids = (0..<24).map { Float($0 % 5) }  // id 0 (masked) occurs in every sequence
        let x = try Tensor(shape: [6, 4], scalars: ids)
        let y = try Tensor(shape: [6, 1], scalars: [0, 1, 0, 1, 1, 0])
        func model(axis: Int) -> Sequential {
            let m = Sequential(
                [
                    Embedding(5, outputDim: 3, maskZero: true, inputShape: [4]), LSTM(3, returnSequences: true),
                    BatchNormalization(axis: axis), LSTM(2), Dense(1, activation: .sigmoid),
                ], seed: 1)
            m.compile(optimizer: SGD(learningRate: 0.1), loss: "binary_crossentropy")
            return m
        }
        XCTAssertThrowsError(try model(axis: 1).fit(x, y, batchSize: 3, epochs: 1, verbose: 0)) {
            let text = $0.localizedDescription
            XCTAssertTrue(text.contains("BatchNormalization receives a timestep mask"), text)
            XCTAssertTrue(text.contains("batch_normalization"), text)  // names the layer
        }
        XCTAssertNoThrow(try model(axis: -1).fit(x, y, batchSize: 3, epochs: 1, verbose: 0))
        XCTAssertNoThrow(try model(axis: 1).predict(x))  // inference uses the moving statistics, as Keras
    }

    func testArgumentErrors() throws {
        func fails(_ cls: String, _ config: [String: JSONValue], _ text: String, line: UInt = #line) {
            XCTAssertThrowsError(try LayerRegistry.make(className: cls, config: config), line: line) {
                XCTAssertTrue($0.localizedDescription.contains(text), $0.localizedDescription, line: line)
            }
        }
        let lstm: JSONValue = .object(["class_name": "LSTM", "config": .object(["units": 2, "name": "lstm"])])
        fails("Bidirectional", ["layer": lstm, "merge_mode": .null], "two outputs")
        fails("Bidirectional", ["layer": lstm, "merge_mode": "max"], "merge_mode")
        fails(
            "Bidirectional",
            ["layer": lstm, "backward_layer": .object(["class_name": "GRU", "config": .object(["units": 2, "go_backwards": true])])],
            "backward_layer")
        fails("Bidirectional", ["layer": .object(["class_name": "Dense", "config": .object(["units": 2])])], "LSTM, GRU or SimpleRNN")
        let mirror: JSONValue = .object([
            "class_name": "LSTM", "config": .object(["units": 2, "name": "backward_lstm", "go_backwards": true]),
        ])
        XCTAssertNoThrow(try LayerRegistry.make(className: "Bidirectional", config: ["layer": lstm, "backward_layer": mirror]))
        for bad in [LSTM(2, stateful: true, batchInputShape: [2, 3, 1]), LSTM(2, goBackwards: true, inputShape: [3, 1])] {
            let m = Sequential([Bidirectional(bad)])
            XCTAssertThrowsError(try m.build())
        }
        XCTAssertThrowsError(try Sequential([Permute([1, 1], inputShape: [2, 3])]).build())
        XCTAssertThrowsError(try Sequential([RepeatVector(2, inputShape: [2, 3])]).build())
        XCTAssertThrowsError(try Sequential([TimeDistributed(Dense(2), inputShape: [3])]).build())
    }

    /// Keras's parameter counts: a Bidirectional layer holds two copies of its layer's weights.
    func testParameterCounts() throws {
        let m = Sequential(
            [
                Embedding(100, outputDim: 8, maskZero: true, inputShape: [10]), Bidirectional(LSTM(16, returnSequences: true)),
                Bidirectional(GRU(4), mergeMode: .sum), RepeatVector(3), TimeDistributed(Dense(5)),
            ])
        try m.build()
        // 800 + 2 * 4 * (8 * 16 + 16 * 16 + 16) + 2 * 3 * (32 * 4 + 4 * 4 + 2 * 4) + (4 * 5 + 5)
        XCTAssertEqual(m.countParams(), 800 + 3200 + 912 + 25)
        XCTAssertEqual(m.outputShape, [3, 5])
    }
}
