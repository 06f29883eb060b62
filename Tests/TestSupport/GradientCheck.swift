import StrataCore
import XCTest

/// Finite-difference gradient checks: compares a layer's `backward` (or a loss's gradient) with central
/// differences of a random linear functional `f = sum(c * output)`, for the input and for every weight.
///
/// Everything runs in Float (as the layers do); the sums are taken in Double. The step is relative,
/// `h = step * max(|v|, 1)`, and a tensor passes when `max|analytic - numeric| <= tolerance * max|numeric|`
/// (relative to the tensor's size, so tiny entries do not fail on float rounding).
/// Layers with kinks (relu, hard_sigmoid, max pooling) need inputs that keep every kink farther than `h` away.
public enum GradientCheck {
    /// The largest relative error found per checked tensor (`"input"`, then each weight's name).
    public struct Report: CustomStringConvertible {
        public var errors: [(name: String, error: Double)] = []
        public var maxError: Double { errors.map(\.error).max() ?? 0 }
        public var description: String {
            errors.map { "\($0.name): \(String(format: "%.2e", $0.error))" }.joined(separator: ", ")
        }
    }

    /// The tests' one finite-difference loop: central differences of `objective` with respect to the elements
    /// `indices` of `values`, each moved to `v + h` and `v - h` (`h = step(v)`) and restored, divided by the step
    /// actually taken in Float. Layer, loss and recurrent checks all differentiate through it.
    public static func numericGradient(
        _ values: Tensor, at indices: some Sequence<Int>, step: (Float) -> Float,
        objective: () -> Double
    ) -> [Double] {
        indices.map { i in
            let v = values[flat: i]
            let h = step(v)
            values[flat: i] = v + h
            let up = objective()
            values[flat: i] = v - h
            let down = objective()
            values[flat: i] = v
            return (up - down) / (Double(v + h) - Double(v - h))
        }
    }

    /// Deterministic values in `[low, high)` (so a failing check reproduces).
    public static func random(_ shape: [Int], seed: UInt64, low: Float = -1, high: Float = 1) -> Tensor {
        let rng = CounterRandom(seed: seed, stream: 0x4752_4144)  // "GRAD"
        let t = Tensor(zeros: shape)
        for i in 0..<t.count { t[flat: i] = low + (high - low) * rng.uniform(UInt64(i)) }
        return t
    }

    /// Builds `layer` for `inputShape` (without the batch axis), gives its weights random values in
    /// `weightRange` (so zero-initialised biases are exercised too), and checks `backward` against central
    /// differences, for the input (unless `checkInput` is false, e.g. integer ids) and every trainable weight.
    ///
    /// - Parameters:
    ///   - input: the batch to use; random in [-1, 1) of shape `[batch] + inputShape` when nil.
    ///   - training: passed to the layer (Dropout masks are a pure function of the context, so stay fixed).
    ///   - setWeights: called after the random fill, to pin particular weights (e.g. a forget bias).
    ///   - recordFailures: false to only return the report (to test the check itself).
    /// - Returns: the report; failures are also recorded with XCTFail at the caller's line.
    @discardableResult
    public static func check(
        layer: Layer, inputShape: [Int], batch: Int = 2, input: Tensor? = nil,
        seed: UInt64 = 7, weightRange: Float = 0.5, step: Float = 1e-2,
        tolerance: Double = 1e-2, training: Bool = false, checkInput: Bool = true,
        setWeights: ((Parameters) -> Void)? = nil, recordFailures: Bool = true,
        file: StaticString = #filePath, line: UInt = #line
    ) throws -> Report {
        var alloc = WeightAllocator()
        let outShape = try layer.build(inputShape: inputShape, weights: &alloc)
        let params = Parameters(handles: alloc.handles, count: alloc.total)
        params.values.assign(random([alloc.total], seed: seed &+ 1, low: -weightRange, high: weightRange))
        setWeights?(params)
        let x = input?.copy() ?? random([batch] + inputShape, seed: seed)
        let ctx = LayerContext(training: training, parameters: params, step: 3, firstRow: 0, seed: seed, layerIndex: 1)
        let c = random([x.shape[0]] + outShape, seed: seed &+ 2)

        func objective() -> Double {
            layer.resetStates()
            let y = layer.forward(x, context: ctx)
            precondition(y.count == c.count, "output \(y.shape) does not match declared \([x.shape[0]] + outShape)")
            var s: Double = 0
            for i in 0..<y.count { s += Double(y[flat: i]) * Double(c[flat: i]) }
            return s
        }

        // Analytic gradients.
        params.gradients.fill(0)
        _ = objective()
        let dx = layer.backward(c, context: ctx).copy()
        let dw = params.gradients.copy()

        var report = Report()
        func compare(_ name: String, values: Tensor, analytic: Tensor) {
            let numeric = numericGradient(values, at: 0..<values.count, step: { step * max(abs($0), 1) }, objective: objective)
            let scale = max(numeric.map(abs).max() ?? 0, 1e-6)
            var worst: Double = 0
            for i in 0..<values.count { worst = max(worst, abs(Double(analytic[flat: i]) - numeric[i]) / scale) }
            report.errors.append((name, worst))
            if worst > tolerance && recordFailures {
                XCTFail(
                    "\(layer.className) gradient of \(name): relative error \(worst) > \(tolerance); "
                        + "analytic \(analytic.scalars.prefix(8)), numeric \(numeric.prefix(8))", file: file, line: line)
            }
        }
        if checkInput { compare("input", values: x, analytic: dx) }
        for h in params.handles where h.trainable {
            compare(h.name, values: params.value(h), analytic: Tensor(shape: h.shape, storage: dw.storage, offset: h.offset))
        }
        return report
    }

    /// Checks a loss's gradient against central differences of `scale * sum(values)`.
    ///
    /// With `activation` (softmax or sigmoid) the loss receives `(logits, activation)` as Keras's TensorFlow
    /// backend does, and the derivative is taken with respect to the logits `input`; without, `input` is `yPred`.
    /// Returns the relative error (also recorded with XCTFail above `tolerance`) and whether the logits path ran.
    @discardableResult
    public static func check(
        loss: Loss, yTrue: Tensor, input: Tensor, activation: ActivationFunction? = nil,
        step: Float = 1e-3, tolerance: Double = 1e-2,
        file: StaticString = #filePath, line: UInt = #line
    ) -> (error: Double, usedLogits: Bool) {
        let z = input.copy()
        let cols = z.shape.last ?? 1
        let n = z.count / cols
        let scale = 1 / Float(n)
        let values = Tensor(zeros: [n])
        let pred = Tensor(zeros: z.shape)
        let grad = Tensor(zeros: z.shape)

        func evaluate(_ g: Tensor) -> (Double, Bool) {
            var used = false
            if let activation {
                activation.apply(z, into: pred)
                if let l = loss as? LogitsLoss, l.consumesLogits(of: activation) {
                    l.compute(yTrue: yTrue, logits: z, yPred: pred, scale: scale, values: values, gradient: g)
                    used = true
                }
            } else {
                pred.assign(z)
            }
            if !used { loss.compute(yTrue: yTrue, yPred: pred, scale: scale, values: values, gradient: g) }
            var s: Double = 0
            for i in 0..<n { s += Double(values[flat: i]) }
            return (s * Double(scale), used)
        }

        let (_, used) = evaluate(grad)
        var analytic = grad.copy()
        if let activation, !used {
            // The loss worked from probabilities: chain through the activation.
            let dz = Tensor(zeros: z.shape)
            activation.gradient(x: z, y: pred, dy: grad, into: dz)
            analytic = dz
        }
        let scratch = Tensor(zeros: z.shape)
        let numeric = numericGradient(z, at: 0..<z.count, step: { step * max(abs($0), 1) }) { evaluate(scratch).0 }
        let size = max(numeric.map(abs).max() ?? 0, 1e-6)
        var worst: Double = 0
        for i in 0..<z.count { worst = max(worst, abs(Double(analytic[flat: i]) - numeric[i]) / size) }
        if worst > tolerance {
            XCTFail(
                "\(loss.name) gradient: relative error \(worst) > \(tolerance); analytic \(analytic.scalars.prefix(8)), "
                    + "numeric \(numeric.prefix(8))", file: file, line: line)
        }
        return (worst, used)
    }
}
