import TestSupport
import XCTest

@testable import StrataCore

/// Runs one layer on its own flat parameters (build, set weights, forward, backward), for the recurrent tests.
final class RecurrentHarness {
    let layer: Layer
    let parameters: Parameters
    /// The pool the layer's steps split over (nil: the context's own, sized from `BLAS.threads`).
    var pool: ThreadPool? = nil

    init(_ layer: Layer, inputShape: [Int]) throws {
        self.layer = layer
        var allocator = WeightAllocator()
        _ = try layer.build(inputShape: inputShape, weights: &allocator)
        parameters = Parameters(handles: allocator.handles, count: allocator.total)
        parameters.initialize(seed: 7)
    }

    func setWeights(_ weights: [Tensor]) {
        for (w, h) in zip(weights, parameters.handles) { parameters.value(h).assign(w) }
    }

    func context(training: Bool, step: Int = 0, firstRow: Int = 0) -> LayerContext {
        LayerContext(
            training: training, parameters: parameters, step: step, firstRow: firstRow, seed: 99, layerIndex: 1, pool: pool)
    }

    func forward(_ x: Tensor, training: Bool = false, step: Int = 0, firstRow: Int = 0) -> Tensor {
        layer.forward(x, context: context(training: training, step: step, firstRow: firstRow)).copy()
    }

    /// Zeroes the gradients, runs backward and returns dx (the weight gradients are in `gradient(i)`).
    func backward(_ dy: Tensor, training: Bool = false, step: Int = 0, firstRow: Int = 0) -> Tensor {
        parameters.gradients.fill(0)
        return layer.backward(dy, context: context(training: training, step: step, firstRow: firstRow)).copy()
    }

    func gradient(_ i: Int) -> Tensor { parameters.gradient(parameters.handles[i]).copy() }
    func value(_ i: Int) -> Tensor { parameters.value(parameters.handles[i]) }

    /// `sum(forward(x) * w)`, in Double.
    func loss(_ x: Tensor, _ w: Tensor, training: Bool = false) -> Double {
        let y = forward(x, training: training)
        var s = 0.0
        for i in 0..<y.count { s += Double(y[flat: i]) * Double(w[flat: i]) }
        return s
    }
}

func maxAbsDiff(_ a: Tensor, _ b: Tensor) -> Float { Parity.compare(a, b).maxError }

func assertClose(
    _ a: Tensor, _ b: Tensor, atol: Float = 1e-5, rtol: Float = 1e-4, _ what: String,
    file: StaticString = #filePath, line: UInt = #line
) {
    Parity.assertClose(a, b, absolute: atol, relative: rtol, what, file: file, line: line)
}

/// Checks a Keras fixture set made by gen_rnn.py `cell_set`: forward outputs and gradients for
/// return_sequences on/off and go_backwards on/off. Returns the largest output and gradient errors seen.
@discardableResult
func checkCellFixture(_ set: String, make: (Bool, Bool) -> Layer, file: StaticString = #filePath, line: UInt = #line)
    throws -> (forward: Float, gradient: Float)
{
    let x = try Fixtures.npy(set, "x")
    var weights: [Tensor] = []
    for i in 0..<3 { weights.append(try Fixtures.npy(set, "w\(i)")) }
    var worst: (Float, Float) = (0, 0)
    for seq in [true, false] {
        for back in [false, true] {
            let tag = (seq ? "seq" : "last") + (back ? "_back" : "")
            let h = try RecurrentHarness(make(seq, back), inputShape: Array(x.shape.dropFirst()))
            h.setWeights(weights)
            let y = h.forward(x)
            let yRef = try Fixtures.npy(set, "y_" + tag)
            assertClose(y, yRef, atol: 1e-6, rtol: 1e-5, "\(set) y_\(tag)", file: file, line: line)
            worst.0 = max(worst.0, maxAbsDiff(y, yRef))
            let dx = h.backward(try Fixtures.npy(set, "dy_" + tag))
            let dxRef = try Fixtures.npy(set, "dx_" + tag)
            assertClose(dx, dxRef, atol: 1e-5, rtol: 1e-4, "\(set) dx_\(tag)", file: file, line: line)
            worst.1 = max(worst.1, maxAbsDiff(dx, dxRef))
            for i in 0..<3 {
                let gRef = try Fixtures.npy(set, "g\(i)_\(tag)")
                assertClose(h.gradient(i), gRef, atol: 1e-5, rtol: 1e-4, "\(set) g\(i)_\(tag)", file: file, line: line)
                worst.1 = max(worst.1, maxAbsDiff(h.gradient(i), gRef))
            }
        }
    }
    print("\(set): max |forward error| \(worst.0), max |gradient error| \(worst.1)")
    return worst
}

/// Central finite differences of `loss` against the analytic gradients of weight `i` and of the input, at a few
/// positions; float32 forward passes, so the tolerance is relative to the gradient's scale.
func checkFiniteDifferences(
    _ h: RecurrentHarness, x: Tensor, w: Tensor, training: Bool, positions: Int = 6,
    file: StaticString = #filePath, line: UInt = #line
) {
    _ = h.forward(x, training: training)
    let dx = h.backward(w, training: training)
    let eps: Float = 1e-2
    func check(_ target: Tensor, _ analytic: Tensor, _ what: String) {
        let at = Array(Swift.stride(from: 0, to: target.count, by: max(1, target.count / positions)))
        let differences = GradientCheck.numericGradient(target, at: at, step: { _ in eps }) { h.loss(x, w, training: training) }
        for (k, d) in zip(at, differences) {
            let numeric = Float(d)
            XCTAssertEqual(
                analytic[flat: k], numeric, accuracy: 2e-3 + 2e-2 * abs(numeric),
                "\(what)[\(k)]: analytic \(analytic[flat: k]) vs finite difference \(numeric)", file: file, line: line)
        }
    }
    for i in 0..<h.parameters.handles.count { check(h.value(i), h.gradient(i), h.parameters.handles[i].name) }
    check(x, dx, "x")
}
