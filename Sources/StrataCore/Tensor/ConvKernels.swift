import CStrataKernels

/// Direct convolution kernels (Sources/CStrataKernels/include/conv_kernels.h) for stride-1, undilated convolutions: register tiles
/// that read the channels-last input in place, with no im2col copy and no GEMM packing (on the guide's convnets
/// im2col, col2im and OpenBLAS's packing were a third of a training step). `Convolution` uses them when the CPU has
/// AVX-512F or AVX2 + FMA and the channel counts fit the vector width, and im2col + GEMM otherwise.
///
/// With `parts > 1` a batch is split into that many contiguous sample ranges (chunks, `Batches.shard`; `parts(batch:
/// threads:)` gives a few per thread) that the run's pool hands out to whichever thread is free (`ThreadPool.chunks`),
/// each thread with its own `scratchCount` of `scratch`; the kernel gradient sums each chunk into its own partial,
/// added in chunk order (deterministic for a given thread count whichever thread ran which chunk). With one part the
/// kernels run once on the whole batch in the calling thread.
enum ConvKernels {
    /// Lanes of the widest kernels this CPU runs: 16 (AVX-512F), 8 (AVX2 + FMA) or 0 (none).
    static let cpuLanes = Int(strata_conv_vector_width())

    /// The widest supported lanes, at most `limit`, that divide `channels` (0 when none: the caller uses GEMM).
    static func lanes(for channels: Int, limit: Int) -> Int {
        let cap = min(limit, cpuLanes)
        if cap >= 16 && channels % 16 == 0 { return 16 }
        if cap >= 8 && channels % 8 == 0 { return 8 }
        return 0
    }

    /// Floats of scratch the kernels need for geometry `g`: a few zero-padded input rows, then one output row of
    /// `dz` for a kernel gradient whose `dz` is not kept (`kernelGradient`'s `keepsDz: false`).
    static func scratchCount(_ g: WindowGeometry, filters: Int) -> Int {
        rowsCount(g, filters: filters) + g.width.output * filters
    }

    /// The zero-padded input rows at the start of each part's scratch.
    private static func rowsCount(_ g: WindowGeometry, filters: Int) -> Int {
        let h = g.height, w = g.width
        let forward = (w.output + w.window - 1) * g.channels
        let inputGradient = (w.input + w.window - 1) * filters
        return h.window * max(forward, inputGradient)
    }

    /// Sample ranges (chunks) to split a batch of `batch` into for `threads` threads: `chunksPerThread` per thread, at
    /// most one per sample; 1 for one thread.
    static func parts(batch: Int, threads: Int) -> Int {
        threads <= 1 ? 1 : max(1, min(threads &* chunksPerThread, batch))
    }

    /// Chunks per thread of a conv or pooling loop: twice `ThreadPool.chunksPerThread`. This host's cores change speed
    /// from second to second (`launch/conv-batch --modes cpus`: 57-82 GFLOP/s on either vCPU), so at each loop's end
    /// one thread waits for the other's last chunk, half a chunk on average: 1/16 of a 2-thread loop with 8 chunks,
    /// 1/32 with 16. A chunk costs a partial of the kernel gradient (zeroed, then added in chunk order: at most 148 KB
    /// each on the guide's models) and one kernel call; 2 samples of vgg_like's conv2d_1 are ~4 ms of work.
    static let chunksPerThread = 2 * ThreadPool.chunksPerThread

    /// Threads that may run `parts` chunks at once on a pool of `threads`: the per-thread scratch slots to allocate.
    static func slots(parts: Int, threads: Int) -> Int { max(1, min(parts, threads)) }

    /// Floats of partial kernel (and bias) gradients `kernelGradient` needs for `parts` parts (part 0 adds into the
    /// real ones).
    static func partialsCount(kernel: Int, bias: Int, parts: Int) -> Int { (parts - 1) * (kernel + bias) }

    /// Calls `body(slot, samples)` for the `parts` contiguous sample ranges of `batch` on `pool` (the run's,
    /// `LayerContext.pool`), handed to whichever thread is free (`slot`: which thread, below `slots(parts:threads:)`).
    /// The calls write disjoint memory (their samples, their slot's scratch). Without a pool (callers from before
    /// the pool) a pool of `parts` threads is made.
    static func split(batch: Int, parts: Int, pool: ThreadPool?, _ body: (Int, Range<Int>) -> Void) {
        chunks(batch: batch, parts: parts, pool: pool) { _, slot, s in body(slot, s) }
    }

    /// As `split`, also naming the chunk (`body(chunk, slot, samples)`), for per-chunk partial sums.
    static func chunks(batch: Int, parts: Int, pool: ThreadPool?, _ body: (Int, Int, Range<Int>) -> Void) {
        if parts <= 1 { return body(0, 0, 0..<batch) }
        (pool ?? ThreadPool(threads: parts)).chunks(batch, chunks: parts, body)
    }

    /// Floats that hold the relu mask of `count` outputs, one bit each (`forward`'s `reluMask`).
    static func reluMaskFloats(_ count: Int) -> Int { (count + 31) / 32 }

    /// The relu mask's bytes: bit `l` of byte `i / 8` is output `i + l`'s (C's `strata_conv_forward_relu_mask`).
    static func maskBytes(_ mask: Tensor?) -> UnsafeMutablePointer<UInt8>? {
        mask.map { UnsafeMutableRawPointer($0.pointer).assumingMemoryBound(to: UInt8.self) }
    }

    /// `y = bias + conv(x, kernel)` (then relu when asked), written over `y` (`(batch, oh, ow, filters)`); with
    /// `reluMask` (`reluMaskFloats(y.count)` floats) also one bit per output, set where `y > 0`, written as each tile
    /// is stored, so backward needs the mask (1/32 of `y`) instead of `y`.
    static func forward(
        _ x: Tensor, _ g: WindowGeometry, kernel: Tensor, filters: Int, bias: Tensor?, into y: Tensor,
        relu: Bool, reluMask: Tensor? = nil, lanes: Int, scratch: Tensor, parts: Int = 1, pool: ThreadPool? = nil
    ) {
        let h = g.height, w = g.width
        let batch = g.inputSize == 0 ? 0 : x.count / g.inputSize
        let px = x.pointer, pk = kernel.pointer, pb = bias?.pointer, py = y.pointer, ps = scratch.pointer
        let pm = maskBytes(reluMask)
        let xSize = g.inputSize, ySize = g.outputPositions &* filters, sSize = scratchCount(g, filters: filters)
        split(batch: batch, parts: parts, pool: pool) { i, s in
            strata_conv_forward_relu_mask(
                lanes, px + s.lowerBound &* xSize, s.count, h.input, w.input, g.channels, h.padBefore,
                w.padBefore, pk, h.window, w.window, filters, pb, py + s.lowerBound &* ySize, h.output,
                w.output, relu ? 1 : 0, pm.map { $0 + s.lowerBound &* ySize / 8 }, ps + i &* sSize)
        }
    }

    /// `dk += sum over positions of patch(x) outer dz` and `db += sum of dz` (when given), accumulated, with
    /// `dz = dy`, or for a relu layer (`reluY` its output) `dz = dy where reluY > 0 else 0`, written to `dz`: the
    /// activation gradient and bias sums run row by row while the row is in cache. With `reluMask` (the forward's),
    /// `dz = dy where the mask bit is set else 0`, and `reluY` is not read.
    /// Parts after the first accumulate into their slices of `partials` (`partialsCount` floats). With
    /// `keepsDz: false` (no input gradient follows, as in the first layer) `dz` is not written: each row's goes to a
    /// row of the part's scratch that stays in cache (1.2-1.4x on the first layers of vgg_like and mnist_cnn).
    static func kernelGradient(
        _ x: Tensor, _ g: WindowGeometry, dy: Tensor, reluY: Tensor?, reluMask: Tensor? = nil, dz: Tensor,
        keepsDz: Bool = true, filters: Int, into dk: Tensor, bias db: Tensor?, lanes: Int, scratch: Tensor,
        partials: Tensor? = nil, parts: Int = 1, pool: ThreadPool? = nil
    ) {
        let h = g.height, w = g.width
        let batch = g.inputSize == 0 ? 0 : x.count / g.inputSize
        let px = x.pointer, pdy = dy.pointer, pr = reluY?.pointer, pdz = dz.pointer, ps = scratch.pointer
        let xSize = g.inputSize, ySize = g.outputPositions &* filters, sSize = scratchCount(g, filters: filters)
        let pm = maskBytes(reluMask).map { UnsafePointer($0) }
        sumInChunks(batch: batch, into: dk, bias: db, partials: partials?.pointer, parts: parts, pool: pool) { pk, pb, slot, s in
            let o = s.lowerBound &* ySize, own = ps + slot &* sSize
            strata_conv_kernel_gradient_relu_mask(
                lanes, px + s.lowerBound &* xSize, s.count, h.input, w.input, g.channels,
                h.padBefore, w.padBefore, pdy + o, pr.map { $0 + o }, pm.map { $0 + o / 8 },
                keepsDz ? pdz + o : own + rowsCount(g, filters: filters), keepsDz ? 0 : 1, h.window,
                w.window, filters, pk, pb, h.output, w.output, own)
        }
    }

    /// Runs a kernel gradient over the batch's `parts` sample chunks: `body(dk, db, slot, samples)` accumulates its
    /// chunk into the pointers it gets, the real gradients for chunk 0 and a zeroed slice of `partials`
    /// (`partialsCount` floats) for each later chunk; the partials are then added in chunk order, each thread over
    /// its own range of the entries, so the sums do not depend on which thread ran which chunk.
    static func sumInChunks(
        batch: Int, into dk: Tensor, bias db: Tensor?, partials pp: UnsafeMutablePointer<Float>?, parts: Int,
        pool: ThreadPool?,
        _ body: (UnsafeMutablePointer<Float>, UnsafeMutablePointer<Float>?, Int, Range<Int>) -> Void
    ) {
        let kCount = dk.count, bCount = db?.count ?? 0, pCount = kCount &+ bCount
        chunks(batch: batch, parts: parts, pool: pool) { chunk, slot, s in
            var pk = dk.pointer, pb = db?.pointer
            if chunk > 0 {
                let own = pp! + (chunk &- 1) &* pCount
                own.update(repeating: 0, count: pCount)
                pk = own
                pb = db == nil ? nil : own + kCount
            }
            body(pk, pb, slot, s)
        }
        guard let pp, parts > 1 else { return }
        let pk = dk.pointer, pb = db?.pointer
        let reduce = { (r: Range<Int>) in
            let kr = r.clamped(to: 0..<kCount), br = r.clamped(to: kCount..<pCount)
            for i in 0..<(parts - 1) {
                let own = pp + i &* pCount
                for j in kr { pk[j] += own[j] }
                if let pb { for j in br { pb[j &- kCount] += own[j] } }
            }
        }
        if let pool, pool.threads > 1, pCount >= 1 << 13 {
            pool.chunks(pCount, chunks: pool.chunkCount(pCount, grain: 1 << 12)) { _, _, r in reduce(r) }
        } else {
            reduce(0..<pCount)
        }
    }

    /// `flipped[kh-1-ky, kw-1-kx, f, c] = kernel[ky, kx, c, f]`: the kernel flipped in space and transposed in
    /// channels, whose convolution with `dz` is the input gradient.
    static func flip(_ kernel: Tensor, _ g: WindowGeometry, filters: Int, into flipped: Tensor) {
        let h = g.height, w = g.width, c = g.channels
        let pk = kernel.pointer, pf = flipped.pointer
        for ky in 0..<h.window {
            for kx in 0..<w.window {
                let src = pk + (ky &* w.window &+ kx) &* c &* filters
                let dst = pf + ((h.window - 1 - ky) &* w.window &+ (w.window - 1 - kx)) &* filters &* c
                for ch in 0..<c {
                    for f in 0..<filters { dst[f &* c &+ ch] = src[ch &* filters &+ f] }
                }
            }
        }
    }

    /// The input gradient, written over `dx`: the stride-1 backward pass is itself a stride-1 convolution of `dz`
    /// (padded by `window - 1 - padBefore` before) with the kernel flipped in space and transposed in channels,
    /// `flipped[kh-1-ky, kw-1-kx, f, c] = kernel[ky, kx, c, f]` (`flipped` receives it).
    static func inputGradient(
        _ dz: Tensor, _ g: WindowGeometry, kernel: Tensor, filters: Int, flipped: Tensor,
        into dx: Tensor, lanes: Int, scratch: Tensor, parts: Int = 1, pool: ThreadPool? = nil
    ) {
        let h = g.height, w = g.width, c = g.channels
        flip(kernel, g, filters: filters, into: flipped)
        let pf = flipped.pointer
        let batch = g.inputSize == 0 ? 0 : dx.count / g.inputSize
        let pdz = dz.pointer, pdx = dx.pointer, ps = scratch.pointer
        let xSize = g.inputSize, ySize = g.outputPositions &* filters, sSize = scratchCount(g, filters: filters)
        split(batch: batch, parts: parts, pool: pool) { i, s in
            strata_conv_forward(
                lanes, pdz + s.lowerBound &* ySize, s.count, h.output, w.output, filters,
                h.window - 1 - h.padBefore, w.window - 1 - w.padBefore, pf, h.window, w.window, c, nil,
                pdx + s.lowerBound &* xSize, h.input, w.input, 0, ps + i &* sSize)
        }
    }
}
