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

    /// The activations added by name (issue 15): value and the gradient of sum(f(x) * r) against TensorFlow's
    /// (misc_activations, x over [-7.3, 7.1]).
    func testNamedActivationsMatchKeras() throws {
        let names = try Fixtures.manifest("misc_activations")["activations"]!.arrayValue!.map { $0.stringValue! }
        XCTAssertEqual(names.count, 7)
        let x = try Fixtures.npy("misc_activations", "x"), r = try Fixtures.npy("misc_activations", "r")
        var report: [String] = []
        for name in names {
            let f = try ActivationFunction(kerasName: name)
            let y = Tensor(zeros: x.shape), dx = Tensor(zeros: x.shape)
            f.apply(x, into: y)
            f.gradient(x: x, y: y, dy: r, into: dx)
            let fy = Parity.assertForward(y, try Fixtures.npy("misc_activations", name), "activation \(name)")
            let g = Parity.compare(dx, try Fixtures.npy("misc_activations", "d" + name), absolute: 1e-5, relative: 1e-4)
            XCTAssertTrue(g.ok, "\(name): gradient differs from TensorFlow's by up to \(g.maxError)")
            report.append("\(name) \(String(format: "%.2f", fy)) grad \(g.maxError)")
        }
        print("PARITY named activations (forward error / tolerance, gradient max error): " + report.joined(separator: ", "))
        XCTAssertEqual(try ActivationFunction(kerasName: "swish"), .silu)
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
