import TestSupport
import XCTest

@testable import StrataCore

final class LayerNormalizationTests: XCTestCase {
    /// Keras fixtures (gen_norm.py): one axis, a list of axes, a list mixing negative and positive axes (Keras's
    /// sorted-as-given weight shape), no center, and rms_scaling.
    func testMatchesKeras() throws {
        for set in ["ln_last", "ln_axes", "ln_mixed_axes", "ln_axis1_nocenter", "ln_rms"] {
            try NormalizationFixtureCheck.check(set)
        }
    }

    func testFiniteDifferenceGradients() throws {
        let cases: [(LayerNormalization, [Int])] = [
            (LayerNormalization(), [5]), (LayerNormalization(axis: [1, 2]), [3, 2, 2]),
            (LayerNormalization(axis: 1, center: false), [3, 4]), (LayerNormalization(rmsScaling: true), [6]),
            (LayerNormalization(axis: [-1, 1], scale: false), [2, 3, 2]),
        ]
        for (i, (layer, shape)) in cases.enumerated() {
            let error = try NormalizationFixtureCheck.finiteDifferences(layer, shape, seed: UInt64(i + 1))
            XCTAssertLessThan(error, 2e-3, "case \(i)")
        }
    }

    func testConfigRoundTripAndErrors() throws {
        let layer = LayerNormalization(axis: [1, -1], epsilon: 1e-5, rmsScaling: true)
        let again = try LayerRegistry.make(className: "LayerNormalization", config: layer.config) as! LayerNormalization
        XCTAssertEqual(JSONValue.object(again.config).jsonText, JSONValue.object(layer.config).jsonText)
        let fromInt = try LayerRegistry.make(className: "LayerNormalization", config: ["axis": 1]) as! LayerNormalization
        XCTAssertEqual(fromInt.axis, [1])
        XCTAssertThrowsError(try Sequential([LayerNormalization(axis: [-1, 2], inputShape: [3, 4])]).build()) {
            XCTAssertTrue($0.localizedDescription.contains("twice"), $0.localizedDescription)
        }
        XCTAssertThrowsError(try LayerRegistry.make(className: "LayerNormalization", config: ["beta_constraint": "radial"]))
        XCTAssertThrowsError(try LayerRegistry.make(className: "LayerNormalization", config: ["pointwise_constraint": "non_neg"]))
        // rms_scaling has gamma only, as Keras.
        let rms = Sequential([LayerNormalization(rmsScaling: true, inputShape: [4])])
        try rms.build()
        XCTAssertEqual(rms.parameters!.handles.map(\.name), ["gamma"])
    }
}
