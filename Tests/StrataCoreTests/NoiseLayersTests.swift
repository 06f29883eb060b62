import TestSupport
import XCTest

@testable import StrataCore

/// SpatialDropout1D/2D, GaussianNoise, GaussianDropout, AlphaDropout: identity outside training; in training
/// the statistics Keras's formulas promise, gradients that match finite differences of the same draw, and the
/// same noise on 1, 2 and 3 ranks (keyed by seed, layer, step and global element, as Dropout's masks).
final class NoiseLayersTests: XCTestCase {
    func context(_ h: LayerHarness, training: Bool) -> LayerContext {
        LayerContext(training: training, parameters: h.parameters, step: 3, seed: 11)
    }

    func testIdentityOutsideTraining() throws {
        for layer in [SpatialDropout1D(0.5), GaussianNoise(0.3), GaussianDropout(0.4), AlphaDropout(0.2)] as [Layer] {
            let h = try LayerHarness(layer, inputShape: [4, 3])
            let x = normalTensor([2, 4, 3], seed: 1)
            XCTAssertEqual(layer.forward(x, context: context(h, training: false)).scalars, x.scalars, layer.className)
        }
    }

    func testTrainingStatistics() throws {
        let n = 40_000
        let x = normalTensor([n / 8, 8], seed: 2)
        func run(_ layer: Layer) throws -> Tensor {
            let h = try LayerHarness(layer, inputShape: [8])
            return layer.forward(x, context: context(h, training: true)).copy()
        }
        // GaussianNoise: y - x ~ N(0, 0.3).
        let gn = try run(GaussianNoise(0.3))
        let d = (0..<n).map { Double(gn[flat: $0] - x[flat: $0]) }
        let mean = d.reduce(0, +) / Double(n), sd = (d.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(n)).squareRoot()
        XCTAssertEqual(mean, 0, accuracy: 0.01)
        XCTAssertEqual(sd, 0.3, accuracy: 0.01)
        // GaussianDropout(0.2): y / x ~ N(1, sqrt(0.2 / 0.8) = 0.5).
        let gd = try run(GaussianDropout(0.2))
        let f = (0..<n).filter { abs(x[flat: $0]) > 0.1 }.map { Double(gd[flat: $0] / x[flat: $0]) }
        let fm = f.reduce(0, +) / Double(f.count)
        XCTAssertEqual(fm, 1, accuracy: 0.02)
        XCTAssertEqual((f.map { ($0 - fm) * ($0 - fm) }.reduce(0, +) / Double(f.count)).squareRoot(), 0.5, accuracy: 0.02)
        // AlphaDropout(0.1) keeps N(0, 1) inputs at mean 0 and variance 1 (its purpose), and each value is either
        // a * x + b or the dropped value a * alpha_p + b.
        let ad = try run(AlphaDropout(0.1))
        let ys = (0..<n).map { Double(ad[flat: $0]) }
        let am = ys.reduce(0, +) / Double(n)
        XCTAssertEqual(am, 0, accuracy: 0.03)
        XCTAssertEqual(ys.map { ($0 - am) * ($0 - am) }.reduce(0, +) / Double(n), 1, accuracy: 0.05)
        let alphaP: Float = -1.6732632423543772 * 1.0507009873554805
        let a = 1 / ((0.9 * (1 + 0.1 * alphaP * alphaP)) as Float).squareRoot(), b = -a * alphaP * 0.1
        var dropped = 0
        for i in 0..<n {
            if abs(ad[flat: i] - (a * alphaP + b)) < 1e-6 {
                dropped += 1
            } else {
                XCTAssertEqual(ad[flat: i], a * x[flat: i] + b, accuracy: 1e-5)
            }
        }
        XCTAssertEqual(Double(dropped) / Double(n), 0.1, accuracy: 0.01)
    }

    /// One flag per (sample, channel): a channel is dropped at every step / position, kept ones scaled by 1/(1-rate).
    func testSpatialDropoutDropsWholeChannels() throws {
        for (layer, shape) in [(SpatialDropout1D(0.4), [5, 6]), (SpatialDropout2D(0.4), [3, 2, 6])] as [(Layer, [Int])] {
            let h = try LayerHarness(layer, inputShape: shape)
            let x = Tensor(zeros: [200] + shape)
            x.fill(1)
            let y = layer.forward(x, context: context(h, training: true))
            let channels = shape.last!, positions = shape.dropLast().reduce(1, *)
            var dropped = 0
            for s in 0..<200 {
                for c in 0..<channels {
                    let values = Set((0..<positions).map { y[flat: (s * positions + $0) * channels + c] })
                    XCTAssertEqual(values.count, 1, layer.className)
                    let v = values.first!
                    XCTAssertTrue(v == 0 || abs(v - 1 / 0.6) < 1e-6, "\(v)")
                    if v == 0 { dropped += 1 }
                }
            }
            XCTAssertEqual(Double(dropped) / Double(200 * channels), 0.4, accuracy: 0.05, layer.className)
        }
    }

    /// In training with a fixed (seed, step) the draw is a fixed function: central differences see its gradient.
    func testGradientsMatchFiniteDifferencesOfTheSameDraw() throws {
        let cases: [(Layer, [Int])] = [
            (SpatialDropout1D(0.3), [4, 3]), (SpatialDropout2D(0.3), [2, 2, 3]), (GaussianNoise(0.5), [5]),
            (GaussianDropout(0.3), [5]), (AlphaDropout(0.3), [5]), (Rescaling(0.7, offset: -0.2), [4]),
        ]
        for (layer, shape) in cases {
            let h = try LayerHarness(layer, inputShape: shape)
            let x = normalTensor([3] + shape, seed: 5), r = normalTensor([3] + shape, seed: 6)
            XCTAssertLessThan(h.finiteDifferenceError(x, r: r, eps: 1e-2), 1e-3, layer.className)
        }
    }

    /// Contract 1: every noise layer in one model, 13 rows in batches of 4 (uneven last batch), 3 epochs: 2 and 3
    /// ranks end with the 1-rank weights.
    func testNoiseLayersAreRankInvariant() throws {
        func run(_ comm: Communicator?) throws -> [Float] {
            let d = RandomData(seed: 21)
            let x = d.uniform([13, 6, 4]), y = d.uniform([13, 2])
            let m = Sequential(
                [
                    GaussianNoise(0.2, inputShape: [6, 4]), SpatialDropout1D(0.3), Reshape([6, 2, 2]), SpatialDropout2D(0.25),
                    Flatten(), Dense(8, activation: .selu), AlphaDropout(0.2), GaussianDropout(0.3), Dense(2),
                ], seed: 5)
            m.compile(optimizer: SGD(learningRate: Float(0.05), momentum: 0.9), loss: "mse")
            try m.fit(x, y, batchSize: 4, epochs: 3, verbose: 0, communicator: comm)
            return m.getWeights().flatMap(\.scalars)
        }
        let one = try run(nil)
        let scale = one.map { abs($0) }.max()!
        for p in [2, 3] {
            for (r, result) in ThreadCommunicator.run(size: p, { try run($0) }).enumerated() {
                let diff = zip(try result.get(), one).map { abs($0 - $1) }.max()!
                XCTAssertLessThan(diff / scale, 1e-5, "\(p) ranks, rank \(r) differs from 1 rank by \(diff)")
                print("RANKS noise layers: \(p) ranks, rank \(r): max relative weight difference \(diff / scale)")
            }
        }
    }

    func testConfigsAndBadValues() throws {
        for layer in [SpatialDropout1D(0.2), SpatialDropout2D(0.3), GaussianNoise(0.1), GaussianDropout(0.2), AlphaDropout(0.1)] as [Layer]
        {
            let again = try LayerRegistry.make(className: layer.className, config: layer.config)
            XCTAssertEqual(again.className, layer.className)
            XCTAssertEqual(JSONValue.object(again.config), JSONValue.object(layer.config))
        }
        var w = WeightAllocator()
        XCTAssertThrowsError(try SpatialDropout2D(0.2).build(inputShape: [4, 3], weights: &w)) { e in
            XCTAssertTrue(e.localizedDescription.contains("SpatialDropout2D needs samples of rank 3"), e.localizedDescription)
        }
        XCTAssertThrowsError(try GaussianDropout(1).build(inputShape: [4], weights: &w))
        XCTAssertThrowsError(try LayerRegistry.make(className: "SpatialDropout2D", config: ["rate": 0.1, "data_format": "channels_first"]))
        {
            XCTAssertTrue($0.localizedDescription.contains("'data_format'"), $0.localizedDescription)
        }
        XCTAssertThrowsError(try LayerRegistry.make(className: "AlphaDropout", config: ["rate": 0.1, "noise_shape": [1, 4]]))
    }
}
