import StrataCore
import TestSupport
import XCTest

final class SequentialTests: XCTestCase {
    private func guideModel(_ lastUnits: Int, _ last: ActivationFunction) -> Sequential {
        let m = Sequential(seed: 42)
        m.add(Dense(64, activation: .relu, inputDim: 20))
        m.add(Dropout(0.5))
        m.add(Dense(64, activation: .relu))
        m.add(Dropout(0.5))
        m.add(Dense(lastUnits, activation: last))
        return m
    }

    /// count_params, per-layer counts, weight shapes and the summary table of the guide's two MLPs, against Keras 3.
    func testGuideModelsMatchKeras() throws {
        let manifest = try Fixtures.manifest("core_guide_models")
        for (key, model) in [("softmax", guideModel(10, .softmax)), ("binary", guideModel(1, .sigmoid))] {
            let k = manifest[key]!
            try model.build()
            XCTAssertEqual(model.countParams(), k["total"]!.intValue!, key)
            XCTAssertEqual(model.layerWeights.map { $0.reduce(0) { $0 + $1.count } }, k["per_layer"]!.arrayValue!.map { $0.intValue! }, key)
            XCTAssertEqual(
                model.getWeights().map(\.shape), k["weight_shapes"]!.arrayValue!.map { $0.arrayValue!.map { $0.intValue! } }, key)
            // gen_core.py ran without a terminal: Keras's 80 columns give a 76-wide table.
            let ours = try model.summaryText(lineLength: 76).trimmingCharacters(in: .whitespacesAndNewlines)
            let keras = k["summary"]!.stringValue!.trimmingCharacters(in: .whitespacesAndNewlines)
            if ours != keras {
                // Line by line, so the difference is readable.
                let a = ours.split(separator: "\n"), b = keras.split(separator: "\n")
                XCTAssertEqual(a.count, b.count, "\(key): summary line count")
                for (i, (l, r)) in zip(a, b).enumerated() where l != r { XCTFail("\(key) summary line \(i): ours [\(l)] Keras [\(r)]") }
            }
        }
    }

    /// In a terminal of 92+ columns Keras draws 88 wide: inner widths 38, 29, 17 (measured with Keras 3.15.1).
    func testSummaryWidthFollowsLineLength() throws {
        let lines = try guideModel(10, .softmax).summaryText(lineLength: 88).split(separator: "\n")
        XCTAssertEqual(lines[1].split(separator: "┳").map(\.count), [39, 29, 18])
        XCTAssertTrue(lines.allSatisfy { $0.count == 88 || !$0.hasPrefix("│") })
    }

    func testLayerNamesFollowKeras() throws {
        let m = guideModel(10, .softmax)
        XCTAssertEqual(m.layers.map(\.name), ["dense", "dropout", "dense_1", "dropout_1", "dense_2"])
        XCTAssertEqual(Sequential([Activation(.relu, inputShape: [2]), Flatten()]).layers.map(\.nameStem), ["activation", "flatten"])
    }

    /// get_weights order is Keras's (kernel, bias per layer); set_weights round-trips and changes predictions.
    func testGetAndSetWeights() throws {
        let m = Sequential([Dense(3, activation: .tanh, inputDim: 2), Dense(1)], seed: 7)
        try m.build()
        let w = m.getWeights()
        XCTAssertEqual(w.map(\.shape), [[2, 3], [3], [3, 1], [1]])
        let x = try Tensor([[0.5, -1], [2, 0.25]])
        // y = tanh(x K0 + b0) K1 + b1, computed by hand from getWeights.
        let y = try m.predict(x)
        for r in 0..<2 {
            var out = w[3][0]
            for j in 0..<3 {
                var z = w[1][j]
                for i in 0..<2 { z += x[r, i] * w[0][i, j] }
                out += Float(Foundation.tanh(Double(z))) * w[2][j, 0]
            }
            XCTAssertEqual(y[r, 0], out, accuracy: 1e-5)
        }
        let changed = try w.map { t in try Tensor(shape: t.shape, scalars: t.scalars.map { $0 + 0.5 }) }
        try m.setWeights(changed)
        XCTAssertEqual(m.getWeights().map(\.scalars), changed.map(\.scalars))
        XCTAssertThrowsError(try m.setWeights(Array(changed.dropLast()))) { e in
            XCTAssertTrue(e.localizedDescription.contains("setWeights got 3 arrays"))
        }
        XCTAssertThrowsError(try m.setWeights([changed[0].reshaped([3, 2])] + changed.dropFirst())) { e in
            XCTAssertTrue(e.localizedDescription.contains("expected [2, 3]"))
        }
    }

    /// The same seed gives the same initial weights; Glorot uniform stays within its limit sqrt(6 / (in + out)).
    func testSeededInitialisation() throws {
        let a = guideModel(10, .softmax), b = guideModel(10, .softmax)
        try a.build(); try b.build()
        XCTAssertEqual(a.getWeights().map(\.scalars), b.getWeights().map(\.scalars))
        let k = a.getWeights()[0]
        let limit = Float((6.0 / 84.0).squareRoot())
        XCTAssertLessThanOrEqual(k.scalars.map(abs).max()!, limit)
        XCTAssertGreaterThan(k.scalars.map(abs).max()!, 0.9 * limit)
        XCTAssertEqual(a.getWeights()[1].scalars, [Float](repeating: 0, count: 64))
    }
}
