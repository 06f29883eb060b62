import TestSupport
import XCTest

@testable import StrataCore

/// One layer built on its own, with its weights in a flat `Parameters` (as a model would hold them), for
/// fixture comparisons and finite-difference gradient checks of the convolution and pooling layers.
final class LayerHarness {
    let layer: Layer
    let parameters: Parameters
    let outputShape: [Int]

    init(_ layer: Layer, inputShape: [Int], seed: UInt64 = 7) throws {
        self.layer = layer
        var allocator = WeightAllocator()
        outputShape = try layer.build(inputShape: inputShape, weights: &allocator)
        parameters = Parameters(handles: allocator.handles, count: allocator.total)
        parameters.initialize(seed: seed)
    }

    var context: LayerContext { LayerContext(training: true, parameters: parameters) }

    func forward(_ x: Tensor) -> Tensor { layer.forward(x, context: context) }

    /// Gradients of `sum(y * r)`: returns dx; the weight gradients are in `parameters`.
    func gradients(_ x: Tensor, r: Tensor) -> Tensor {
        parameters.gradients.fill(0)
        _ = forward(x)
        return layer.backward(r, context: context).copy()
    }

    /// `sum(forward(x) * r)` in Double.
    func objective(_ x: Tensor, r: Tensor) -> Double {
        let y = forward(x)
        var s = 0.0
        for i in 0..<y.count { s += Double(y[flat: i]) * Double(r[flat: i]) }
        return s
    }

    /// Central-difference check of dx and every weight gradient of `sum(y * r)`; returns the worst error
    /// relative to the largest analytic gradient.
    func finiteDifferenceError(_ x: Tensor, r: Tensor, eps: Float = 1e-2) -> Double {
        let dx = gradients(x, r: r)
        let dw = parameters.gradients.copy()
        var worst = 0.0
        func check(_ t: Tensor, _ analytic: Tensor) {
            let scale = max(1e-3, (0..<analytic.count).map { Double(abs(analytic[flat: $0])) }.max() ?? 0)
            let numeric = GradientCheck.numericGradient(t, at: 0..<t.count, step: { _ in eps }) { objective(x, r: r) }
            for i in 0..<t.count { worst = max(worst, abs(numeric[i] - Double(analytic[flat: i])) / scale) }
        }
        check(x, dx)
        if parameters.count > 0 { check(parameters.values, dw) }
        return worst
    }
}

/// Deterministic N(0, 1) tensors for tests.
func normalTensor(_ shape: [Int], seed: UInt64) -> Tensor {
    let rng = CounterRandom(seed: seed, stream: 99)
    let t = Tensor(zeros: shape)
    for i in 0..<t.count { t[flat: i] = rng.normal(UInt64(i)) }
    return t
}

/// Runs Keras fixture set `conv_<name>` through the layer its manifest describes (built by `LayerRegistry` from
/// Keras's `get_config()`): the output and the gradients of `sum(y * r)` must match TensorFlow's. Returns the
/// largest absolute errors (forward, backward) for the report.
@discardableResult
func checkKerasFixture(
    _ name: String, prefix: String = "conv_", tweak: (Layer) -> Void = { _ in },
    file: StaticString = #filePath, line: UInt = #line
) throws -> (Float, Float) {
    let set = prefix + name
    let manifest = try Fixtures.manifest(set)
    let className = manifest["class_name"]!.stringValue!
    let config = manifest["config"]!.objectValue!
    let inputShape = manifest["input_shape"]!.arrayValue!.map { $0.intValue! }
    let layer = try LayerRegistry.make(className: className, config: config)
    tweak(layer)
    let h = try LayerHarness(layer, inputShape: inputShape)
    let arrays = Set(manifest["arrays"]!.objectValue!.keys)
    for handle in layer.weightHandles {
        h.parameters.value(handle).assign(try Fixtures.npy(set, handle.name))
    }
    let x = try Fixtures.npy(set, "x")
    let yKeras = try Fixtures.npy(set, "y")
    let y = h.forward(x)
    XCTAssertEqual(y.shape, yKeras.shape, "\(name): output shape", file: file, line: line)
    let fwd = Parity.compare(y, yKeras)
    XCTAssertTrue(fwd.ok, "\(name): forward differs from Keras by up to \(fwd.maxError)", file: file, line: line)
    let r = try Fixtures.npy(set, "r")
    let dx = h.gradients(x, r: r)
    let dxKeras = try Fixtures.npy(set, "dx")
    let dxComparison = Parity.compare(dx, dxKeras, absolute: 1e-5, relative: 1e-4)
    var bwdError = dxComparison.maxError
    XCTAssertTrue(dxComparison.ok, "\(name): dx differs from Keras by up to \(bwdError)", file: file, line: line)
    for handle in layer.weightHandles {
        XCTAssertTrue(arrays.contains("d" + handle.name), "\(name): fixture lacks d\(handle.name)", file: file, line: line)
        let g = Parity.compare(h.parameters.gradient(handle), try Fixtures.npy(set, "d" + handle.name), absolute: 1e-5, relative: 1e-4)
        bwdError = max(bwdError, g.maxError)
        XCTAssertTrue(g.ok, "\(name): d\(handle.name) differs from Keras by up to \(g.maxError)", file: file, line: line)
    }
    print("fixture \(set): forward max error \(fwd.maxError), backward max error \(bwdError)")
    return (fwd.maxError, bwdError)
}
