import CStrataKernels

extension Kernels {
    /// `y = x * mask` (kept values scaled by `1/(1-rate)`), with each element's keep flag written to `kept` (at least
    /// `x.count` bytes). `y` may be `x`: then one pointer is read and written, so the loop still vectorises (LLVM
    /// sends aliased input and output pointers to the scalar loop, 5x slower).
    /// With `pool` the elements are split in contiguous ranges over its threads (masks are keyed by element index, so
    /// the numbers do not depend on the split).
    /// On AVX2 the flags and products come from `strata_dropout_forward_avx2` (dropout_kernels.h): the same formula
    /// on 8 lanes, bit for bit this loop's (the loop kept each hash's multiplies scalar).
    static func dropout(_ x: Tensor, into y: Tensor, mask: Dropout.Mask, recording kept: inout [UInt8], pool: ThreadPool? = nil) {
        let px = x.pointer, py = y.pointer, n = x.count, scale = mask.keepScale
        kept.withUnsafeMutableBufferPointer { buffer in
            let kept = buffer.baseAddress!
            splitElements(n, pool) { r in
                if vectorisedMask {
                    strata_dropout_forward_avx2(
                        px, py, kept, r.lowerBound, r.upperBound, mask.e0, mask.k1, mask.k2, mask.threshold, scale)
                } else if px == py {
                    for i in r { let k = mask.isKept(i); kept[i] = k ? 1 : 0; py[i] = py[i] * (k ? scale : 0) }
                } else {
                    for i in r { let k = mask.isKept(i); kept[i] = k ? 1 : 0; py[i] = px[i] * (k ? scale : 0) }
                }
            }
        }
    }

    /// Whether `dropout` and `dropoutGradient` run the AVX2 kernels (dropout_kernels.h): AVX2 + FMA or AVX-512F.
    static let vectorisedMask = ConvKernels.cpuLanes >= 8

    /// `body(range)` over contiguous ranges of `0..<n`: for large loops a few per thread of `pool`, handed to whichever
    /// thread is free (`ThreadPool.chunks`), else one range.
    static func splitElements(_ n: Int, _ pool: ThreadPool?, _ body: (Range<Int>) -> Void) {
        guard let pool else { return body(0..<n) }
        pool.chunks(n, chunks: pool.chunkCount(n, grain: 1 << 15)) { _, _, r in body(r) }
    }

    /// `dx = dy * mask` from the flags `dropout` recorded; `dx` may be `dy`.
    static func dropoutGradient(_ dy: Tensor, into dx: Tensor, mask: Dropout.Mask, recorded kept: [UInt8], pool: ThreadPool? = nil) {
        let pg = dy.pointer, pd = dx.pointer, n = dy.count, scale = mask.keepScale
        kept.withUnsafeBufferPointer { buffer in
            let kept = buffer.baseAddress!
            splitElements(n, pool) { r in
                if vectorisedMask {
                    strata_dropout_backward_avx2(pg, pd, kept, r.lowerBound, r.upperBound, scale)
                } else if pg == pd {
                    for i in r { pd[i] = pd[i] * (kept[i] != 0 ? scale : 0) }
                } else {
                    for i in r { pd[i] = pg[i] * (kept[i] != 0 ? scale : 0) }
                }
            }
        }
    }
}

extension Kernels {
    /// Spatial dropout of channels-last rows of `rowSize` scalars: element `i` (row `i / rowSize`, channel
    /// `i % channels`) is kept iff `mask.isKept(row * channels + channel)`, so one flag covers a channel of a sample;
    /// kept values are scaled by `1/(1-rate)`. Each element's flag is written to `kept` (for `maskedGradient`).
    static func spatialDropout(
        _ x: Tensor, into y: Tensor, mask: Dropout.Mask, rowSize: Int, channels: Int, recording kept: inout [UInt8]
    ) {
        let px = x.pointer, py = y.pointer, scale = mask.keepScale
        let rows = rowSize == 0 ? 0 : x.count / rowSize
        kept.withUnsafeMutableBufferPointer { buffer in
            let kept = buffer.baseAddress!
            for r in 0..<rows {
                let base = r &* rowSize
                for j in 0..<rowSize {
                    let k = mask.isKept(r &* channels &+ j % channels)
                    kept[base &+ j] = k ? 1 : 0
                    py[base &+ j] = px[base &+ j] * (k ? scale : 0)
                }
            }
        }
    }

    /// Keras's AlphaDropout: `y = a * (kept ? x : alpha_p) + b`, the flags recorded in `kept`.
    static func alphaDropout(
        _ x: Tensor, into y: Tensor, mask: Dropout.Mask, a: Float, b: Float, alphaP: Float, recording kept: inout [UInt8]
    ) {
        let px = x.pointer, py = y.pointer, n = x.count
        kept.withUnsafeMutableBufferPointer { buffer in
            let kept = buffer.baseAddress!
            for i in 0..<n {
                let k = mask.isKept(i)
                kept[i] = k ? 1 : 0
                py[i] = a * (k ? px[i] : alphaP) + b
            }
        }
    }

    /// `dx = dy * (kept ? scale : 0)` from recorded flags; `dx` may be `dy`.
    static func maskedGradient(_ dy: Tensor, into dx: Tensor, scale: Float, recorded kept: [UInt8]) {
        let pg = dy.pointer, pd = dx.pointer, n = dy.count
        kept.withUnsafeBufferPointer { buffer in
            let kept = buffer.baseAddress!
            for i in 0..<n { pd[i] = pg[i] * (kept[i] != 0 ? scale : 0) }
        }
    }

    /// Gaussian noise keyed like dropout masks: `n_i = N(0, 1)` drawn by `rng` at counter `first + i` (the
    /// element's GLOBAL position in the batch), so 1 and N ranks draw the same noise. Additive:
    /// `y = x + stddev * n`; multiplicative: `y = x * (1 + stddev * n)`, with the factors kept in `factors`.
    static func gaussianNoise(
        _ x: Tensor, into y: Tensor, rng: CounterRandom, first: Int, stddev: Float, multiplicative: Bool, factors: Tensor?
    ) {
        let px = x.pointer, py = y.pointer, pf = factors?.pointer
        for i in 0..<x.count {
            let e = stddev * rng.normal(UInt64(first &+ i))
            if multiplicative {
                pf![i] = 1 + e
                py[i] = px[i] * (1 + e)
            } else {
                py[i] = px[i] + e
            }
        }
    }
}
