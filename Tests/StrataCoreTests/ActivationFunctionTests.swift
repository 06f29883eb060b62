import StrataCore
import TestSupport
import XCTest

final class ActivationFunctionTests: XCTestCase {
    /// keras.activations.<name>(x) for every activation (core_activations).
    func testMatchesKeras() throws {
        let names = try Fixtures.manifest("core_activations")["activations"]!.arrayValue!.map { $0.stringValue! }
        XCTAssertEqual(names.count, 10)
        let x = try Fixtures.npy("core_activations", "x")
        var report: [String] = []
        for name in names {
            let f = try ActivationFunction(kerasName: name)
            let y = Tensor(zeros: x.shape)
            f.apply(x, into: y)
            let r = Parity.assertForward(y, try Fixtures.npy("core_activations", name), "activation \(name)")
            report.append("\(name) \(String(format: "%.2f", r))")
        }
        print("PARITY activations (max error / tolerance): " + report.joined(separator: ", "))
    }

    /// f'(x) against central differences, through the Activation layer, with inputs clear of the kinks.
    func testGradients() throws {
        let x = try Tensor(shape: [2, 5], scalars: [-3.7, -2.1, -0.6, 0.4, 1.3, 2.2, -1.4, 0.9, 3.6, -0.3])
        for f in ActivationFunction.allCases {
            let r = try GradientCheck.check(layer: Activation(f), inputShape: [5], input: x, step: 1e-3)
            XCTAssertLessThan(r.maxError, 1e-2, "\(f)")
        }
    }

    func testNamesAndUnknown() throws {
        XCTAssertEqual(try ActivationFunction(kerasName: "None"), .linear)
        XCTAssertEqual(ActivationFunction.hardSigmoidLegacy.kerasName, "hard_sigmoid")
        XCTAssertThrowsError(try ActivationFunction(kerasName: "swishy")) { e in
            XCTAssertTrue(e.localizedDescription.contains("unknown activation 'swishy'"))
        }
    }
}
