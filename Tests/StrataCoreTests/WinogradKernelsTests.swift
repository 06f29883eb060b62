import XCTest

@testable import StrataCore

/// Winograd F(2x2, 3x3) (`WinogradKernels`) against a Double convolution written from the definition
/// (`referenceConvolution`), with the bound the direct kernels are held to (`1e-6 + 2e-6 max|ref|`), at every vector
/// width this CPU runs: channels 8/16/32/64 and 24 filters (not a power of two), 'valid' and 'same', odd output sizes
/// (the last tile half outside), outputs of one tile; the kernel gradient's F(3x3, 2x2) the same way; the kernel
/// transform against `G g Gᵀ`; threads; the layer path (forward, input and kernel gradients on Winograd, the kernel
/// gradient from Winograd's relu mask); Keras's fixtures.
final class WinogradKernelsTests: XCTestCase {
    var lanes: [Int] { [16, 8].filter { $0 <= ConvKernels.cpuLanes } }

    /// (height, width, channels, filters, padding)
    let shapes: [(h: Int, w: Int, c: Int, f: Int, padding: Padding)] = [
        (11, 10, 8, 8, .valid), (9, 13, 16, 24, .same), (8, 9, 32, 16, .valid), (6, 17, 64, 32, .same),
        (5, 5, 16, 16, .same), (3, 4, 16, 8, .valid), (4, 3, 8, 16, .same),
    ]

    func geometry(_ t: (h: Int, w: Int, c: Int, f: Int, padding: Padding)) throws -> WindowGeometry {
        func axis(_ n: Int) throws -> WindowAxis {
            try WindowAxis.make(layer: "t", axis: "t", input: n, window: 3, stride: 1, dilation: 1, padding: t.padding)
        }
        return WindowGeometry(height: try axis(t.h), width: try axis(t.w), channels: t.c)
    }

    /// The largest difference between `a` and the Double `b`, and `b`'s largest magnitude.
    func error(_ a: [Float], _ b: [Double]) -> (worst: Double, scale: Double) {
        XCTAssertEqual(a.count, b.count)
        return (zip(a, b).map { abs(Double($0) - $1) }.max() ?? 0, b.map(abs).max() ?? 0)
    }

    func testForwardAndInputGradientMatchADoubleReference() throws {
        try XCTSkipIf(lanes.isEmpty, "this CPU has neither AVX-512F nor AVX2 + FMA: Winograd does not run")
        for (i, t) in shapes.enumerated() {
            let g = try geometry(t)
            let (oh, ow, n) = (g.height.output, g.width.output, 2)
            let x = normalTensor([n, t.h, t.w, t.c], seed: UInt64(i)), r = normalTensor([n, oh, ow, t.f], seed: 50)
            let weights = normalTensor([9 * t.c * t.f + t.f], seed: UInt64(100 + i))
            let kCount = 9 * t.c * t.f
            let kernel = try Tensor(shape: [3, 3, t.c, t.f], scalars: Array(weights.scalars[0..<kCount]))
            let bias = Tensor(Array(weights.scalars[kCount...]))
            let ref = referenceConvolution(
                x, kernel: weights, kernelSize: (3, 3), filters: t.f, stride: 1, same: t.padding == .same, relu: true, r: r)
            // dz as the relu layer's backward gives it: r where the output is positive.
            let dz = try Tensor(shape: r.shape, scalars: zip(r.scalars, ref.y).map { $1 > 0 ? $0 : 0 })
            for l in lanes where t.c % l == 0 && t.f % l == 0 {
                let scratch = Tensor(zeros: [max(WinogradKernels.scratchCount(g, filters: t.f), 1)])
                let u = Tensor(zeros: [WinogradKernels.transformCount(channels: t.c, filters: t.f)])
                WinogradKernels.transform(kernel, channels: t.c, filters: t.f, into: u)
                let y = Tensor(zeros: r.shape, repeating: .nan), mask = Tensor(zeros: [ConvKernels.reluMaskFloats(y.count)])
                WinogradKernels.forward(
                    x, g, transformed: u, filters: t.f, bias: bias, into: y, relu: true, reluMask: mask, lanes: l,
                    scratch: scratch)
                let dx = Tensor(zeros: x.shape, repeating: .nan)
                WinogradKernels.inputGradient(
                    dz, g, kernel: kernel, filters: t.f, flipped: Tensor(zeros: [9 * t.c * t.f]),
                    transformed: Tensor(zeros: [16 * t.c * t.f]), into: dx, lanes: l, scratch: scratch)
                // The direct kernels on the same data, for the error bound's comparison.
                let yDirect = Tensor(zeros: r.shape)
                let direct = Tensor(zeros: [ConvKernels.scratchCount(g, filters: t.f)])
                ConvKernels.forward(
                    x, g, kernel: kernel, filters: t.f, bias: bias, into: yDirect, relu: true, lanes: l, scratch: direct)
                let e = error(y.scalars, ref.y), d = error(yDirect.scalars, ref.y), ex = error(dx.scalars, ref.dx)
                let label = "case \(i) \(t) lanes \(l)"
                XCTAssertLessThanOrEqual(e.worst, 1e-6 + 2e-6 * e.scale, "\(label): y (direct kernels: \(d.worst))")
                XCTAssertLessThanOrEqual(ex.worst, 1e-6 + 2e-6 * ex.scale, "\(label): dx")
                let bytes = UnsafeRawPointer(mask.pointer).assumingMemoryBound(to: UInt8.self)
                let wrong = (0..<y.count).filter { (bytes[$0 / 8] >> ($0 % 8)) & 1 != (y[flat: $0] > 0 ? 1 : 0) }
                XCTAssertEqual(wrong.count, 0, "\(label): relu mask bits disagree with y at \(wrong.prefix(5))")
            }
        }
    }

    /// The kernel gradient by F(3x3, 2x2) (`WinogradKernels.kernelGradient`) against the Double definition: dk, db and
    /// dz on every shape above (odd outputs: tiles half off the edge; 'same' and 'valid'; one-tile outputs), batch 1
    /// and 3, from the relu mask with dz kept and not kept, adding into gradients that are not zero.
    func testKernelGradientMatchesADoubleReference() throws {
        try XCTSkipIf(lanes.isEmpty, "this CPU has neither AVX-512F nor AVX2 + FMA: Winograd does not run")
        for (i, t) in (shapes + [(5, 26, 16, 16, .valid), (10, 5, 16, 32, .same)]).enumerated() {
            let g = try geometry(t)
            for n in [1, 3] {
                let x = normalTensor([n, t.h, t.w, t.c], seed: UInt64(i)), r = normalTensor([n] + yShape(g, t.f), seed: 51)
                let weights = normalTensor([9 * t.c * t.f + t.f], seed: UInt64(200 + i))
                let kCount = 9 * t.c * t.f
                let kernel = try Tensor(shape: [3, 3, t.c, t.f], scalars: Array(weights.scalars[0..<kCount]))
                let bias = Tensor(Array(weights.scalars[kCount...]))
                let ref = referenceConvolution(
                    x, kernel: weights, kernelSize: (3, 3), filters: t.f, stride: 1, same: t.padding == .same,
                    relu: true, r: r)
                for l in lanes where t.c % l == 0 && t.f % l == 0 {
                    // The relu mask as the forward writes it (direct kernels).
                    let y = Tensor(zeros: r.shape), mask = Tensor(zeros: [ConvKernels.reluMaskFloats(r.count)])
                    ConvKernels.forward(
                        x, g, kernel: kernel, filters: t.f, bias: bias, into: y, relu: true, reluMask: mask, lanes: l,
                        scratch: Tensor(zeros: [ConvKernels.scratchCount(g, filters: t.f)]))
                    for keepsDz in [true, false] {
                        let dk = Tensor(zeros: [kCount], repeating: 0.25), db = Tensor(zeros: [t.f], repeating: -0.5)
                        let dz = Tensor(zeros: r.shape, repeating: .nan)
                        let scratch = Tensor(
                            zeros: [WinogradKernels.kernelGradientScratchCount(g, filters: t.f, bias: true, parts: 1, threads: 1)],
                            repeating: .nan)
                        WinogradKernels.kernelGradient(
                            x, g, dy: r, reluY: nil, reluMask: mask, dz: dz, keepsDz: keepsDz, filters: t.f, into: dk,
                            bias: db, lanes: l, scratch: scratch)
                        let label = "case \(i) \(t) batch \(n) lanes \(l) keepsDz \(keepsDz)"
                        let ek = error(dk.scalars.map { $0 - 0.25 }, ref.dk), eb = error(db.scalars.map { $0 + 0.5 }, ref.db)
                        XCTAssertLessThanOrEqual(ek.worst, 1e-6 + 2e-6 * ek.scale, "\(label): dk")
                        XCTAssertLessThanOrEqual(eb.worst, 1e-6 + 2e-6 * eb.scale, "\(label): db")
                        if keepsDz {
                            let want = zip(r.scalars, y.scalars).map { $1 > 0 ? $0 : 0 }
                            XCTAssertEqual(dz.scalars, want, "\(label): dz")
                        } else {
                            XCTAssertTrue(dz.scalars.allSatisfy(\.isNaN), "\(label): dz written though not kept")
                        }
                    }
                }
            }
        }
    }

    /// The output shape `(oh, ow, filters)` of geometry `g`.
    func yShape(_ g: WindowGeometry, _ f: Int) -> [Int] { [g.height.output, g.width.output, f] }

    /// The Winograd kernel gradient split over 2 and 3 threads: the same bits on every run at a given thread count
    /// (chunks' partials added in chunk order), and within float rounding of one thread.
    func testThreadedKernelGradientIsTheSameEveryRun() throws {
        try XCTSkipIf(lanes.isEmpty, "no vector kernels on this CPU")
        let t = shapes[3], g = try geometry(t), l = lanes.last!, n = 9
        let x = normalTensor([n, t.h, t.w, t.c], seed: 5), r = normalTensor([n] + yShape(g, t.f), seed: 6)
        func run(_ threads: Int) -> [Float] {
            let parts = ConvKernels.parts(batch: n, threads: threads)
            let dk = Tensor(zeros: [9 * t.c * t.f]), db = Tensor(zeros: [t.f])
            let scratch = Tensor(
                zeros: [WinogradKernels.kernelGradientScratchCount(g, filters: t.f, bias: true, parts: parts, threads: threads)])
            WinogradKernels.kernelGradient(
                x, g, dy: r, reluY: nil, dz: Tensor(zeros: r.shape), filters: t.f, into: dk, bias: db, lanes: l,
                scratch: scratch, parts: parts, pool: ThreadPool(threads: threads))
            return dk.scalars + db.scalars
        }
        let one = run(1)
        for threads in [2, 3] {
            let a = run(threads), b = run(threads)
            XCTAssertEqual(a, b, "\(threads) threads: two runs differ")
            let worst = zip(a, one).map { abs($0 - $1) }.max() ?? 0, scale = one.map(abs).max() ?? 0
            XCTAssertLessThanOrEqual(worst, 1e-5 * scale, "\(threads) threads against one")
        }
    }

    /// `u[4r + s][ch][f] = (G g Gᵀ)[r][s]`, `G = [1 0 0; ½ ½ ½; ½ -½ ½; 0 0 1]`, for every (channel, filter).
    func testKernelTransformIsGgGTransposed() {
        let (c, f) = (3, 5)
        let k = normalTensor([3, 3, c, f], seed: 9), u = Tensor(zeros: [16 * c * f])
        WinogradKernels.transform(k, channels: c, filters: f, into: u)
        let gm: [[Double]] = [[1, 0, 0], [0.5, 0.5, 0.5], [0.5, -0.5, 0.5], [0, 0, 1]]
        for ch in 0..<c {
            for o in 0..<f {
                for e in 0..<16 {
                    let (r, s) = (e / 4, e % 4)
                    var want = 0.0
                    for a in 0..<3 {
                        for b in 0..<3 { want += gm[r][a] * Double(k[flat: ((a * 3 + b) * c + ch) * f + o]) * gm[s][b] }
                    }
                    XCTAssertEqual(Double(u[flat: (e * c + ch) * f + o]), want, accuracy: 1e-6, "e \(e) c \(ch) f \(o)")
                }
            }
        }
    }

    func testThreadedMatchesOneThreadBitForBit() throws {
        try XCTSkipIf(lanes.isEmpty, "no vector kernels on this CPU")
        let t = shapes[3], g = try geometry(t), l = lanes.last!
        let x = normalTensor([7, t.h, t.w, t.c], seed: 3), k = normalTensor([3, 3, t.c, t.f], seed: 4)
        let u = Tensor(zeros: [16 * t.c * t.f])
        WinogradKernels.transform(k, channels: t.c, filters: t.f, into: u)
        var outputs: [[Float]] = []
        for threads in [1, 2, 3] {
            let parts = ConvKernels.parts(batch: 7, threads: threads)
            let slots = ConvKernels.slots(parts: parts, threads: threads)
            let y = Tensor(zeros: [7, g.height.output, g.width.output, t.f])
            WinogradKernels.forward(
                x, g, transformed: u, filters: t.f, bias: nil, into: y, relu: false, lanes: l,
                scratch: Tensor(zeros: [slots * WinogradKernels.scratchCount(g, filters: t.f)]), parts: parts,
                pool: ThreadPool(threads: threads))
            outputs.append(y.scalars)
        }
        XCTAssertEqual(outputs[0], outputs[1])
        XCTAssertEqual(outputs[0], outputs[2])
    }

    /// The layer on Winograd (forward, dx, and the kernel gradient reading Winograd's relu mask): y, dx, dkernel and
    /// dbias against the Double reference; the same layer forced direct (`winograd = false`) as well.
    func testLayerMatchesADoubleReference() throws {
        try XCTSkipIf(lanes.isEmpty, "no vector kernels on this CPU")
        for (padding, shape, filters) in [(Padding.valid, [10, 12, 16], 32), (.same, [7, 9, 32], 16)] {
            for winograd in [true, false] {
                let layer = Conv2D(filters, kernelSize: (3, 3), padding: padding, activation: .relu)
                layer.winograd = winograd
                let h = try LayerHarness(layer, inputShape: shape)
                XCTAssertEqual(
                    WinogradKernels.applies(layer.engine.geometry, filters: filters, lanes: lanes[0]), true,
                    "\(shape): the rule sends this layer to Winograd")
                let x = normalTensor([3] + shape, seed: 21), r = normalTensor([3] + h.outputShape, seed: 22)
                let y = h.forward(x).copy(), dx = h.gradients(x, r: r)
                let p = h.parameters, kCount = 9 * shape[2] * filters
                let ref = referenceConvolution(
                    x, kernel: p.values, kernelSize: (3, 3), filters: filters, stride: 1, same: padding == .same,
                    relu: true, r: r)
                let got: [(String, [Float], [Double])] = [
                    ("y", y.scalars, ref.y), ("dx", dx.scalars, ref.dx),
                    ("dkernel", Array(p.gradients.scalars[0..<kCount]), ref.dk),
                    ("dbias", Array(p.gradients.scalars[kCount...]), ref.db),
                ]
                for (name, a, b) in got {
                    let e = error(a, b)
                    XCTAssertLessThanOrEqual(e.worst, 1e-6 + 2e-6 * e.scale, "\(shape) winograd \(winograd): \(name)")
                }
            }
        }
    }

    /// Keras's own forward and gradients (Tests/Fixtures/gen_winograd.py) on layers the rule sends to Winograd, with
    /// the parity tolerances every layer meets.
    func testMatchesKerasFixtures() throws {
        for name in ["conv2d_winograd_valid", "conv2d_winograd_same"] {
            for winograd in [true, false] {
                _ = try checkKerasFixture(name) { layer in
                    let conv = layer as! Conv2D
                    conv.winograd = winograd
                    XCTAssertEqual(conv.winograd, winograd)
                }
            }
        }
    }

    func testRuleKeepsSmallChannelCountsAndNarrowOutputsDirect() throws {
        func applies(_ h: Int, _ w: Int, _ c: Int, _ f: Int, window: Int = 3, stride: Int = 1) throws -> Bool {
            func axis(_ n: Int) throws -> WindowAxis {
                try WindowAxis.make(layer: "t", axis: "t", input: n, window: window, stride: stride, dilation: 1, padding: .valid)
            }
            return WinogradKernels.applies(
                WindowGeometry(height: try axis(h), width: try axis(w), channels: c), filters: f, lanes: 8)
        }
        XCTAssertTrue(try applies(98, 98, 32, 32))  // vgg_like conv2d_1
        XCTAssertTrue(try applies(26, 26, 32, 64))  // mnist_cnn conv2d_1
        XCTAssertFalse(try applies(98, 98, 8, 32))  // 8 channels
        XCTAssertFalse(try applies(98, 98, 32, 8))  // 8 filters
        XCTAssertFalse(try applies(9, 9, 32, 32))  // 7 wide
        XCTAssertFalse(try applies(98, 98, 3, 32))  // the first layer
        XCTAssertFalse(try applies(98, 98, 32, 32, stride: 2))
        XCTAssertFalse(try applies(98, 98, 32, 32, window: 5))
    }
}
