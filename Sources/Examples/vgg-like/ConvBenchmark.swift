import Foundation
import Strata

/// Measures, for each Conv2D layer of a built model at a given batch size, the rate its forward + backward
/// reaches (2 * positions * patch * filters flops per GEMM, three GEMMs, packing and activation included) and
/// the rate of plain sgemm calls on exactly the shapes the layer issues, in the same run.
enum ConvBenchmark {
    /// The fastest of `repeats` timed runs after a warm-up: the minimum is the least disturbed by other
    /// processes on a shared machine.
    static func seconds(_ repeats: Int, _ body: () -> Void) -> Double {
        body()  // warm-up (allocations, caches)
        var best = Double.infinity
        for _ in 0..<repeats {
            let t = Date()
            body()
            best = min(best, Date().timeIntervalSince(t))
        }
        return best
    }

    static func run(model: Sequential, batch: Int) {
        guard let inputShape = model.inputShape else { return }
        let random = RandomData(seed: 11)
        var shape = inputShape
        var totalConv = 0.0, totalGemm = 0.0, totalFlops = 0.0, totalLayers = 0.0
        for (layer, out) in zip(model.layers, model.layerOutputShapes) {
            defer { shape = out }
            // A fresh copy of each layer (from its config), so the model itself is left untouched.
            guard let copy = try? LayerRegistry.make(className: layer.className, config: layer.config) else { continue }
            if let conv = copy as? Conv2D, let b = ProcessInfo.processInfo.environment["STRATA_PACKING_BUDGET"].flatMap(Int.init) {
                conv.packingBudget = b  // to compare chunk sizes
            }
            var allocator = WeightAllocator()
            guard (try? copy.build(inputShape: shape, weights: &allocator)) == out else { return }
            let p = Parameters(handles: allocator.handles, count: allocator.total)
            p.initialize(seed: 1)
            let context = LayerContext(training: true, parameters: p)
            let x = random.uniform([batch] + shape)
            let dy = random.uniform([batch] + out)
            let time = seconds(3) {
                _ = copy.forward(x, context: context)
                _ = copy.backward(dy, context: context)
            }
            totalLayers += time
            guard let conv = copy as? Conv2D else {
                print(String(format: "%-16@ forward + backward %.1f ms", layer.name as NSString, time * 1e3))
                continue
            }
            let convTime = time
            // The same GEMMs, chunk by chunk, on random operands.
            let positions = batch * out[0] * out[1]
            let patch = conv.kernelSize.0 * conv.kernelSize.1 * shape[2]
            let f = conv.filters
            let chunk = max(1, min(positions, conv.packingBudget / patch))
            let cols = random.uniform([chunk, patch]), k = random.uniform([patch, f]), z = Tensor(zeros: [positions, f])
            let dk = Tensor(zeros: [patch, f]), dcols = Tensor(zeros: [chunk, patch])
            func chunks(_ body: (Int, Tensor) -> Void) -> Double {
                seconds(3) {
                    var r0 = 0
                    while r0 < positions {
                        let m = min(chunk, positions - r0)
                        body(m, z.rows(r0..<(r0 + m)))
                        r0 += m
                    }
                }
            }
            let forward = chunks { m, zc in BLAS.gemm(cols, rowsA: m, colsA: patch, k, rowsB: patch, colsB: f, into: zc) }
            let kernelGrad = chunks { m, zc in
                BLAS.gemm(cols, rowsA: m, colsA: patch, transA: true, zc, rowsB: m, colsB: f, into: dk, beta: 1)
            }
            let colsGrad = chunks { m, zc in
                BLAS.gemm(zc, rowsA: m, colsA: f, k, rowsB: patch, colsB: f, transB: true, into: dcols)
            }
            let gemmTime = forward + kernelGrad + colsGrad
            let one = 2 * Double(positions) * Double(patch) * Double(f) / 1e9
            print(
                String(
                    format: "    sgemm GFLOP/s by product: forward %.1f, kernel gradient %.1f, patch gradient %.1f",
                    one / forward, one / kernelGrad, one / colsGrad))
            let flops = 3 * 2 * Double(positions) * Double(patch) * Double(f)
            totalConv += convTime; totalGemm += gemmTime; totalFlops += flops
            print(
                String(
                    format: "%-16@ forward + backward %.1f ms: %d positions, patch %d, %d filters: %.1f GFLOP/s; "
                        + "sgemm on the same shapes %.1f GFLOP/s; fraction %.2f", layer.name as NSString, time * 1e3, positions,
                    patch, f, flops / convTime / 1e9, flops / gemmTime / 1e9, gemmTime / convTime))
        }
        print(
            String(
                format: "all layers, forward + backward of one batch of %d: %.1f ms (%.1f samples/s without the optimizer)",
                batch, totalLayers * 1e3, Double(batch) / totalLayers))
        print(
            String(
                format: "all conv layers: %.1f GFLOP/s vs sgemm on the same shapes %.1f GFLOP/s: fraction %.2f",
                totalFlops / totalConv / 1e9, totalFlops / totalGemm / 1e9, totalGemm / totalConv))
        let n = 1024
        let a = random.uniform([n, n]), b = random.uniform([n, n]), c = Tensor(zeros: [n, n])
        let square = seconds(5) { BLAS.gemm(a, rowsA: n, colsA: n, b, rowsB: n, colsB: n, into: c) }
        let peak = 2 * Double(n * n * n) / square / 1e9
        print(
            String(
                format: "square sgemm 1024: %.1f GFLOP/s; conv layers reach %.2f of it", peak,
                totalFlops / totalConv / 1e9 / peak))
    }
}
