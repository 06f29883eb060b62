import TestSupport
import XCTest

@testable import StrataCore

/// ReLU, LeakyReLU, PReLU, ELU and Softmax against Keras (fixture sets `misc_<case>` from gen_misc.py, built from
/// Keras's own get_config() through LayerRegistry) and against central differences.
final class ActivationLayersTests: XCTestCase {
    static let cases = [
        "relu_plain", "relu_max_slope_threshold", "relu_slope", "relu_threshold", "relu6", "leaky_relu",
        "leaky_relu_slope", "elu", "elu_alpha", "softmax_last", "softmax_axis1", "prelu", "prelu_shared",
    ]

    func testForwardAndGradientsMatchKeras() throws {
        for name in Self.cases { try checkKerasFixture(name, prefix: "misc_") }
    }

    func testGradientsMatchFiniteDifferences() throws {
        let cases: [(Layer, [Int])] = [
            (ReLU(maxValue: 1.5, negativeSlope: 0.1, threshold: 0.25), [3, 4]), (LeakyReLU(negativeSlope: 0.05), [5]),
            (ELU(alpha: 0.7), [6]), (Softmax(axis: 1), [4, 3]), (Softmax(), [2, 5]),
            (PReLU(alphaInitializer: .uniform(-0.5, 0.5), sharedAxes: [1]), [3, 4]),
        ]
        for (layer, shape) in cases {
            let h = try LayerHarness(layer, inputShape: shape)
            // Inputs kept away from the kinks (|x| > 0.05 of 0, threshold and max_value) so differences are smooth.
            let x = normalTensor([2] + shape, seed: 3)
            for i in 0..<x.count where abs(x[flat: i]) < 0.1 || abs(x[flat: i] - 0.25) < 0.1 || abs(x[flat: i] - 1.5) < 0.1 {
                x[flat: i] += 0.3
            }
            let r = normalTensor([2] + h.outputShape, seed: 4)
            XCTAssertLessThan(h.finiteDifferenceError(x, r: r, eps: 1e-2), 1e-2, layer.className)
        }
    }

    func testConfigsRoundTripAndBadValuesAreRefused() throws {
        for layer in [ReLU(maxValue: 6, negativeSlope: 0.1), LeakyReLU(negativeSlope: 0.2), ELU(alpha: 0.5), Softmax(axis: 1)] as [Layer] {
            let again = try LayerRegistry.make(className: layer.className, config: layer.config)
            XCTAssertEqual(JSONValue.object(again.config), JSONValue.object(layer.config), layer.className)
        }
        let prelu = try LayerRegistry.make(
            className: "PReLU",
            config: ["shared_axes": [1], "alpha_regularizer": ["class_name": "L2", "config": ["l2": 0.1]], "alpha_constraint": "non_neg"])
        XCTAssertEqual(
            JSONValue.object(try LayerRegistry.make(className: "PReLU", config: prelu.config).config), JSONValue.object(prelu.config))
        // Keras 2 wrote LeakyReLU's slope as `alpha`.
        XCTAssertEqual((try LayerRegistry.make(className: "LeakyReLU", config: ["alpha": 0.1]) as! LeakyReLU).negativeSlope, 0.1)
        var w = WeightAllocator()
        XCTAssertThrowsError(try ReLU(threshold: -1).build(inputShape: [3], weights: &w))
        XCTAssertThrowsError(try Softmax(axis: 3).build(inputShape: [3, 2], weights: &w)) { e in
            XCTAssertTrue(e.localizedDescription.contains("axis 3"), e.localizedDescription)
        }
        XCTAssertThrowsError(try LayerRegistry.make(className: "Softmax", config: ["axis": [1, 2]]))
        XCTAssertThrowsError(try PReLU(sharedAxes: [3]).build(inputShape: [3, 2], weights: &w))
    }

    /// PReLU's `alpha` counts as trainable parameters, as in Keras's summary (3 x 4 without sharing, 4 with [1, 2]).
    func testPReLUParameterCounts() throws {
        let m = Sequential([PReLU(inputShape: [3, 4]), PReLU(sharedAxes: [1])])
        try m.build()
        XCTAssertEqual(m.parameters!.trainableCount, 12 + 4)
    }
}
