import StrataCore
import TestSupport
import XCTest

/// The gradient check must be able to fail: a layer whose backward is wrong (input or weight gradient) is caught.
final class GradientCheckTests: XCTestCase {
    /// Dense with a deliberately wrong backward: dx doubled, or the bias gradient dropped.
    final class BrokenDense: Layer {
        let inner = Dense(3)
        let breakInput: Bool
        init(breakInput: Bool) { self.breakInput = breakInput }
        var className: String { "BrokenDense" }
        var name = "broken"
        var inputSpec: InputSpec? { nil }
        var weightHandles: [ParameterHandle] { inner.weightHandles }
        var config: [String: JSONValue] { [:] }
        func build(inputShape: [Int], weights: inout WeightAllocator) throws -> [Int] {
            try inner.build(inputShape: inputShape, weights: &weights)
        }
        func forward(_ x: Tensor, context: LayerContext) -> Tensor { inner.forward(x, context: context) }
        func backward(_ dy: Tensor, context: LayerContext) -> Tensor {
            let dx = inner.backward(dy, context: context)
            if breakInput {
                for i in 0..<dx.count { dx[flat: i] *= 2 }
            } else {
                context.parameters.gradient(inner.weightHandles[1]).fill(0)
            }
            return dx
        }
    }

    func testDetectsWrongGradients() throws {
        let a = try GradientCheck.check(layer: BrokenDense(breakInput: true), inputShape: [4], recordFailures: false)
        XCTAssertGreaterThan(a.errors.first { $0.name == "input" }!.error, 0.5)
        XCTAssertLessThan(a.errors.first { $0.name == "kernel" }!.error, 1e-2)
        let b = try GradientCheck.check(layer: BrokenDense(breakInput: false), inputShape: [4], recordFailures: false)
        XCTAssertGreaterThan(b.errors.first { $0.name == "bias" }!.error, 0.5)
    }
}
