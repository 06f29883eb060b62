import TestSupport
import XCTest

@testable import StrataCore

/// Rescaling and Normalization against Keras (misc_rescaling, misc_normalization_given*, misc_normalization_adapt),
/// and `adapt` over 2 and 3 ranks' shards giving the one-process statistics.
final class NormalizationTests: XCTestCase {
    func testGivenStatisticsAndRescalingMatchKeras() throws {
        for name in ["rescaling", "normalization_given", "normalization_given_invert"] { try checkKerasFixture(name, prefix: "misc_") }
    }

    func testAdaptMatchesKeras() throws {
        let set = "misc_normalization_adapt"
        let data = try Fixtures.npy(set, "data")
        for (key, axis) in [("last", [-1]), ("both", [1, 2]), ("none", nil)] as [(String, [Int]?)] {
            let norm = Normalization(axis: axis, inputShape: [4, 3])
            try norm.adapt(data)
            let m = Sequential([norm], seed: 1)
            try m.build()
            let w = m.getWeights()
            // Keras's weights: mean and variance of the kept axes' shape, count a scalar (the fixture holds the
            // broadcast `layer.mean`, same values).
            let kept: [Int] = ["last": [3], "both": [4, 3], "none": []][key]!
            XCTAssertEqual(w.map(\.shape), [kept, kept, []])
            for (i, name) in ["mean_", "variance_"].enumerated() {
                let keras = try Fixtures.npy(set, name + key)
                Parity.assertClose(w[i], try Tensor(shape: kept, scalars: keras.scalars), absolute: 1e-6, relative: 1e-5, name + key)
            }
            let y = try m.predict(data.rows(0..<3))
            Parity.assertForward(y, try Fixtures.npy(set, "y_" + key), "normalized \(key)")
        }
    }

    /// Each rank adapts on its own uneven shard (13 rows over 2 or 3 ranks): the statistics are the whole set's.
    func testAdaptOverRanksEqualsOneProcess() throws {
        let data = try Fixtures.npy("misc_normalization_adapt", "data")
        let one = Normalization(axis: [2])
        try one.adapt(data)
        for p in [2, 3] {
            let results = ThreadCommunicator.run(size: p) { comm -> ([Float], [Float]) in
                let lo = comm.rank * data.shape[0] / p, hi = (comm.rank + 1) * data.shape[0] / p
                let norm = Normalization(axis: [2])
                try norm.adapt(data.rows(lo..<hi), communicator: comm)
                return (norm.adaptedMean!, norm.adaptedVariance!)
            }
            for result in results {
                let (m, v) = try result.get()
                for (a, b) in zip(m + v, one.adaptedMean! + one.adaptedVariance!) { XCTAssertEqual(a, b, accuracy: 1e-5 * abs(b) + 1e-6) }
            }
        }
    }

    func testConfigRoundTripAndErrors() throws {
        let n = Normalization(axis: [-1], mean: [1, 2], variance: [3, 4], invert: true)
        let again = try LayerRegistry.make(className: "Normalization", config: n.config)
        XCTAssertEqual(JSONValue.object(again.config), JSONValue.object(n.config))
        var w = WeightAllocator()
        XCTAssertThrowsError(try Normalization(mean: [1, 2, 3], variance: [1, 1, 1]).build(inputShape: [2], weights: &w)) {
            XCTAssertTrue($0.localizedDescription.contains("mean has 3 values"), $0.localizedDescription)
        }
        XCTAssertThrowsError(try Normalization(axis: [0]).build(inputShape: [2], weights: &w))
        XCTAssertThrowsError(try Normalization(mean: [1]).build(inputShape: [2], weights: &w))
        let r = try LayerRegistry.make(className: "Rescaling", config: ["scale": 0.00392156862745098, "offset": 0.0]) as! Rescaling
        XCTAssertEqual(r.scale, 1 / 255, accuracy: 1e-9)
    }
}
