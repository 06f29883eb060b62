import TestSupport
import XCTest

@testable import StrataCore

/// The direct stride-1 kernels (`ConvKernels`) against the im2col + GEMM path (`kernelLanes = 0`, itself checked
/// against Keras's fixtures), at every vector width this CPU runs, on shapes the fixtures do not reach: channel
/// counts that fit the vectors, C = 1 and 3, odd sizes, rows shorter than a tile, bias off, each padding.
final class ConvKernelsTests: XCTestCase {
    /// (layer factory, sample shape); batch 3 throughout.
    let cases: [(() -> Layer, [Int])] = [
        ({ Conv2D(32, kernelSize: (3, 3), activation: .relu) }, [9, 30, 3]),  // C = 3: dx by GEMM
        ({ Conv2D(32, kernelSize: (3, 3), activation: .relu) }, [8, 7, 1]),  // C = 1, rows shorter than a tile
        ({ Conv2D(16, kernelSize: (3, 3), padding: .same, activation: .tanh) }, [7, 6, 16]),
        ({ Conv2D(64, kernelSize: (3, 3), padding: .same, activation: .relu) }, [5, 29, 32]),
        ({ Conv2D(48, kernelSize: (2, 3), padding: .same, useBias: false) }, [5, 13, 8]),  // even kernel, 3 vectors
        ({ Conv2D(8, kernelSize: (3, 3)) }, [4, 5, 16]),  // 8 filters: the 8-lane kernel
        ({ Conv2D(12, kernelSize: (3, 3), padding: .same) }, [6, 6, 16]),  // forward by GEMM, dx direct
        ({ Conv1D(16, kernelSize: 3, padding: .causal, activation: .relu) }, [20, 16]),
        ({ Conv1D(32, kernelSize: 5, padding: .same, activation: .sigmoid) }, [17, 8]),
        ({ Conv1D(128, kernelSize: 1) }, [3, 16]),
        ({ Conv1D(16, kernelSize: 7, padding: .same, activation: .relu) }, [4, 8]),  // window wider than the input
        ({ Conv2D(16, kernelSize: (3, 1), padding: .same) }, [5, 1, 16]),  // one column
    ]

    var lanes: [Int] { [16, 8].filter { $0 <= ConvKernels.cpuLanes } }

    func setLanes(_ layer: Layer, _ lanes: Int) {
        if let c = layer as? Conv2D { c.kernelLanes = lanes } else { (layer as! Conv1D).kernelLanes = lanes }
    }

    /// Output, input gradient and weight gradients of `sum(y * r)` for the layer at `lanes`.
    func run(_ make: () -> Layer, _ shape: [Int], lanes: Int, batch: Int = 3) throws -> [Tensor] {
        let layer = make()
        setLanes(layer, lanes)
        let h = try LayerHarness(layer, inputShape: shape)
        let x = normalTensor([batch] + shape, seed: 5)
        let r = normalTensor([batch] + h.outputShape, seed: 6)
        let y = h.forward(x).copy()
        let dx = h.gradients(x, r: r)
        return [y, dx, h.parameters.gradients.copy()]
    }

    func testDirectKernelsMatchTheGEMMPath() throws {
        try XCTSkipIf(lanes.isEmpty, "this CPU has neither AVX-512F nor AVX2 + FMA: only the GEMM path runs")
        for (i, (make, shape)) in cases.enumerated() {
            let reference = try run(make, shape, lanes: 0)
            for l in lanes {
                let direct = try run(make, shape, lanes: l)
                for (name, a, b) in zip3(["y", "dx", "weight gradients"], direct, reference) {
                    let scale = (0..<b.count).map { abs(b[flat: $0]) }.max() ?? 0
                    let worst = Parity.compare(a, b).maxError
                    XCTAssertLessThanOrEqual(worst, 1e-6 + 2e-6 * scale, "case \(i) \(shape) lanes \(l): \(name)")
                }
            }
        }
    }

    func testDirectKernelsAreDeterministic() throws {
        for l in lanes {
            let (make, shape) = cases[3]
            let a = try run(make, shape, lanes: l), b = try run(make, shape, lanes: l)
            for (u, v) in zip(a, b) { XCTAssertEqual(u.scalars, v.scalars, "lanes \(l)") }
        }
    }

    func testDirectKernelFiniteDifferenceGradients() throws {
        for l in lanes {
            let layer = Conv2D(16, kernelSize: (2, 3), padding: .same, activation: .tanh)
            layer.kernelLanes = l
            let h = try LayerHarness(layer, inputShape: [3, 4, 8])
            let x = normalTensor([2, 3, 4, 8], seed: 3), r = normalTensor([2] + h.outputShape, seed: 4)
            XCTAssertLessThan(h.finiteDifferenceError(x, r: r), 2e-3, "lanes \(l)")
        }
    }

    /// With `BLAS.threads` = 2 or 3 the kernels split the batch into sample chunks that the threads take as they come
    /// free (the kernel gradient summed per chunk, then in chunk order): the same results as one thread within float
    /// tolerance (the weight gradients relative to their largest entry, as their sums run in another order),
    /// bit-identical run to run, for batches that do not divide evenly, batches smaller than the thread count, and
    /// batches of more chunks than threads (13: chunks of one sample; 37: 16 or 24 chunks of 1-3 samples).
    func testThreadedKernelsMatchOneThread() throws {
        try XCTSkipIf(lanes.isEmpty, "this CPU has neither AVX-512F nor AVX2 + FMA: only the GEMM path runs")
        let saved = BLAS.threads
        defer { BLAS.threads = saved }
        for i in [3, 4, 7, 2, 6] {
            let (make, shape) = cases[i]
            for batch in [1, 2, 5, 7, 13, 37] {
                BLAS.threads = 1
                let one = try run(make, shape, lanes: lanes[0], batch: batch)
                for t in [2, 3] {
                    BLAS.threads = t
                    XCTAssertEqual(BLAS.threads, t, "OpenBLAS refused \(t) threads")
                    let a = try run(make, shape, lanes: lanes[0], batch: batch)
                    let b = try run(make, shape, lanes: lanes[0], batch: batch)
                    for (name, (u, v, w)) in zip(["y", "dx", "weight gradients"], zip3(a, b, one)) {
                        XCTAssertEqual(u.scalars, v.scalars, "case \(i) batch \(batch) threads \(t): \(name) run to run")
                        // y and dx elementwise; the weight gradients are sums over the batch in another order, so
                        // relative to their largest entry (a sample missed or counted twice is off by far more).
                        let scale = name == "weight gradients" ? (0..<w.count).map { abs(w[flat: $0]) }.max() ?? 0 : 0
                        let c = Parity.compare(u, w, absolute: 1e-6 + 1e-5 * scale), worst = c.maxError, ok = c.ok
                        XCTAssertTrue(ok, "case \(i) batch \(batch) threads \(t): \(name) off by \(worst) from one thread")
                    }
                }
            }
        }
    }

    /// Forward, dx, dkernel and dbias of `sum(y * r)` against a Double convolution written from the definition, at
    /// every vector width and on the GEMM path: 1-3 and 4+ channels, valid and same padding, strides 1 and 2, widths
    /// that are not a multiple of the tile or vector, relu (the 1-bit mask path) and linear. The layer is run as a
    /// middle layer and as a first layer (no input gradient wanted: the kernel gradient's dz then lives in one cached
    /// row), whose weight gradients must be bit-identical.
    func testKernelsMatchADoubleReference() throws {
        let shapes: [(filters: Int, kernel: (Int, Int), stride: Int, padding: Padding, relu: Bool, shape: [Int])] = [
            (32, (3, 3), 1, .valid, true, [9, 13, 3]),
            (32, (3, 3), 1, .valid, true, [7, 11, 1]),
            (16, (3, 3), 1, .same, true, [6, 9, 2]),
            (24, (3, 2), 1, .same, false, [5, 7, 4]),
            (16, (3, 3), 1, .valid, true, [6, 19, 8]),
            (32, (3, 3), 2, .same, true, [7, 9, 3]),
        ]
        for (i, t) in shapes.enumerated() {
            for l in [0] + lanes {
                var results: [[Tensor]] = []
                for first in [false, true] {
                    let layer = Conv2D(
                        t.filters, kernelSize: t.kernel, strides: (t.stride, t.stride), padding: t.padding,
                        activation: t.relu ? .relu : .linear)
                    layer.kernelLanes = l
                    let h = try LayerHarness(layer, inputShape: t.shape)
                    let x = normalTensor([2] + t.shape, seed: 11), r = normalTensor([2] + h.outputShape, seed: 12)
                    let p = h.parameters
                    p.gradients.fill(0)
                    let context = LayerContext(training: true, parameters: p, needsInputGradient: !first)
                    let y = layer.forward(x, context: context).copy()
                    let dx = layer.backward(r, context: context).copy()
                    let ref = referenceConvolution(
                        x, kernel: p.values, kernelSize: t.kernel, filters: t.filters, stride: t.stride,
                        same: t.padding == .same, relu: t.relu, r: r)
                    let kCount = t.kernel.0 * t.kernel.1 * t.shape[2] * t.filters
                    let got: [(String, [Float], [Double])] =
                        [
                            ("y", y.scalars, ref.y), ("dkernel", Array(p.gradients.scalars[0..<kCount]), ref.dk),
                            ("dbias", Array(p.gradients.scalars[kCount...]), ref.db),
                        ] + (first ? [] : [("dx", dx.scalars, ref.dx)])
                    for (name, a, b) in got {
                        XCTAssertEqual(a.count, b.count, "case \(i) \(name)")
                        let scale = b.map(abs).max() ?? 0
                        let worst = zip(a, b).map { abs(Double($0) - $1) }.max() ?? 0
                        XCTAssertLessThanOrEqual(
                            worst, 1e-6 + 2e-6 * scale, "case \(i) \(t.shape) lanes \(l) first \(first): \(name)")
                    }
                    results.append([y, p.gradients.copy()])
                }
                XCTAssertEqual(results[0][0].scalars, results[1][0].scalars, "case \(i) lanes \(l): y")
                XCTAssertEqual(results[0][1].scalars, results[1][1].scalars, "case \(i) lanes \(l): weight gradients")
            }
        }
    }

    func testLanesAreCappedByTheCPU() {
        let layer = Conv2D(16, kernelSize: (3, 3))
        XCTAssertEqual(layer.kernelLanes, ConvKernels.cpuLanes)
        layer.kernelLanes = 64
        XCTAssertEqual(layer.kernelLanes, ConvKernels.cpuLanes)
    }
}

private func zip3<A, B, C>(_ a: [A], _ b: [B], _ c: [C]) -> [(A, B, C)] {
    zip(a, zip(b, c)).map { ($0, $1.0, $1.1) }
}

/// y, dx, dkernel, dbias of `sum(r * act(conv(x, kernel) + bias))` for a channels-last Conv2D, from the definition in
/// Double (TensorFlow's "same" padding: total `max((out - 1) * stride + k - in, 0)`, the smaller half before);
/// `values` holds the kernel `(kh, kw, c, filters)` then the bias, as the layer lays them out.
func referenceConvolution(
    _ x: Tensor, kernel values: Tensor, kernelSize: (Int, Int), filters f: Int, stride s: Int, same: Bool, relu: Bool,
    r: Tensor
) -> (y: [Double], dx: [Double], dk: [Double], db: [Double]) {
    let (n, h, w, c) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3]), (kh, kw) = kernelSize
    func axis(_ input: Int, _ k: Int) -> (out: Int, before: Int) {
        if !same { return ((input - k) / s + 1, 0) }
        let out = (input + s - 1) / s
        return (out, max((out - 1) * s + k - input, 0) / 2)
    }
    let (oh, pt) = axis(h, kh), (ow, pl) = axis(w, kw)
    let k = (0..<(kh * kw * c * f)).map { Double(values[flat: $0]) }
    let bias = (0..<f).map { Double(values[flat: kh * kw * c * f + $0]) }
    var y = [Double](repeating: 0, count: n * oh * ow * f), dx = [Double](repeating: 0, count: x.count)
    var dk = [Double](repeating: 0, count: k.count), db = [Double](repeating: 0, count: f)
    for b in 0..<n {
        for oy in 0..<oh {
            for ox in 0..<ow {
                for o in 0..<f {
                    var z = bias[o]
                    var taps: [(Int, Int)] = []  // (x index, kernel index)
                    for ky in 0..<kh {
                        for kx in 0..<kw {
                            let iy = oy * s + ky - pt, ix = ox * s + kx - pl
                            guard iy >= 0, iy < h, ix >= 0, ix < w else { continue }
                            for ch in 0..<c {
                                let xi = ((b * h + iy) * w + ix) * c + ch, ki = ((ky * kw + kx) * c + ch) * f + o
                                z += Double(x[flat: xi]) * k[ki]
                                taps.append((xi, ki))
                            }
                        }
                    }
                    let at = ((b * oh + oy) * ow + ox) * f + o
                    y[at] = relu ? max(z, 0) : z
                    let dz = relu && z <= 0 ? 0 : Double(r[flat: at])
                    db[o] += dz
                    for (xi, ki) in taps {
                        dk[ki] += Double(x[flat: xi]) * dz
                        dx[xi] += k[ki] * dz
                    }
                }
            }
        }
    }
    return (y, dx, dk, db)
}
