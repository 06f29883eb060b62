import TestSupport
import XCTest

@testable import StrataCore

/// The Keras fixture check shared by the BatchNormalization and LayerNormalization tests (sets `norm_<case>` of
/// Tests/Fixtures/gen_norm.py): the layer made from Keras's own `get_config()` by `LayerRegistry`, given the
/// fixture's weights by name, then the training-mode output, the moving statistics after it, the gradients of
/// `sum(y * r)` and the inference-mode output with the original weights, each against Keras.
enum NormalizationFixtureCheck {
    /// Returns the largest error ratio over every compared tensor (<= 1 passes DESIGN.md's tolerance).
    @discardableResult
    static func check(_ set: String, file: StaticString = #filePath, line: UInt = #line) throws -> Double {
        let m = try Fixtures.manifest("norm_" + set)
        let layer = try LayerRegistry.make(className: m["class_name"]!.stringValue!, config: m["config"]!.objectValue!)
        let shape = m["input_shape"]!.arrayValue!.map { $0.intValue! }
        let h = try LayerHarness(layer, inputShape: shape)
        func load() throws {
            for w in layer.weightHandles { h.parameters.value(w).assign(try Fixtures.npy("norm_" + set, w.name)) }
        }
        func fixture(_ name: String) throws -> Tensor { try Fixtures.npy("norm_" + set, name) }
        try load()
        let x = try fixture("x")
        var worst = 0.0
        h.parameters.gradients.fill(0)
        let y = h.layer.forward(x, context: h.context).copy()
        worst = max(worst, Parity.assertForward(y, try fixture("y_train"), "\(set) training output", file: file, line: line))
        for w in layer.weightHandles where !w.trainable {
            worst = max(
                worst,
                Parity.assertForward(
                    h.parameters.value(w), try fixture(w.name + "_after"), "\(set) \(w.name) after a step", file: file, line: line))
        }
        let dx = layer.backward(try fixture("r"), context: h.context)
        // Gradients of a normalized output are differences of nearly equal sums: compared at 1e-5 of their scale.
        func gradient(_ a: Tensor, _ name: String) throws {
            let b = try fixture(name)
            let scale = b.scalars.map { abs($0) }.max()!
            worst = max(worst, Parity.assertForward(a, b, "\(set) \(name)", absolute: 1e-5 * scale, file: file, line: line))
        }
        try gradient(dx, "dx")
        for w in layer.weightHandles where w.trainable { try gradient(h.parameters.gradient(w), "d" + w.name) }
        try load()
        var inference = h.context
        inference.training = false
        worst = max(
            worst,
            Parity.assertForward(
                layer.forward(x, context: inference), try fixture("y_infer"), "\(set) inference output", file: file, line: line))
        print("fixture norm_\(set): worst error \(String(format: "%.3f", worst)) of the tolerance")
        return worst
    }

    /// Finite-difference check of `layer` in training mode (batch statistics included in the derivative).
    static func finiteDifferences(_ layer: Layer, _ shape: [Int], batch: Int = 4, seed: UInt64 = 3) throws -> Double {
        let h = try LayerHarness(layer, inputShape: shape, seed: seed)
        for w in layer.weightHandles where w.trainable {
            h.parameters.value(w).assign(GradientCheck.random(w.shape, seed: seed + 9, low: 0.5, high: 1.5))
        }
        let x = normalTensor([batch] + shape, seed: seed)
        let r = normalTensor([batch] + h.outputShape, seed: seed + 1)
        return h.finiteDifferenceError(x, r: r, eps: 1e-2)
    }
}
