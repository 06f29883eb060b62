extension Kernels {
    /// `y = x * mask` (kept values scaled by `1/(1-rate)`), with each element's keep flag written to `kept` (at least
    /// `x.count` bytes). `y` may be `x`: then one pointer is read and written, so the loop still vectorises (LLVM
    /// sends aliased input and output pointers to the scalar loop, 5x slower).
    /// With `pool` the elements are split in contiguous ranges over its threads (masks are keyed by element index, so
    /// the numbers do not depend on the split).
    static func dropout(_ x: Tensor, into y: Tensor, mask: Dropout.Mask, recording kept: inout [UInt8], pool: ThreadPool? = nil) {
        let px = x.pointer, py = y.pointer, n = x.count, scale = mask.keepScale
        kept.withUnsafeMutableBufferPointer { buffer in
            let kept = buffer.baseAddress!
            splitElements(n, pool) { r in
                if px == py {
                    for i in r { let k = mask.isKept(i); kept[i] = k ? 1 : 0; py[i] = py[i] * (k ? scale : 0) }
                } else {
                    for i in r { let k = mask.isKept(i); kept[i] = k ? 1 : 0; py[i] = px[i] * (k ? scale : 0) }
                }
            }
        }
    }

    /// `body(range)` over contiguous ranges of `0..<n`: one per thread of `pool` for large loops, else one range.
    static func splitElements(_ n: Int, _ pool: ThreadPool?, _ body: (Range<Int>) -> Void) {
        guard let pool else { return body(0..<n) }
        pool.split(n, parts: pool.parts(n, grain: 1 << 15)) { _, r in body(r) }
    }

    /// `dx = dy * mask` from the flags `dropout` recorded; `dx` may be `dy`.
    static func dropoutGradient(_ dy: Tensor, into dx: Tensor, mask: Dropout.Mask, recorded kept: [UInt8], pool: ThreadPool? = nil) {
        let pg = dy.pointer, pd = dx.pointer, n = dy.count, scale = mask.keepScale
        kept.withUnsafeBufferPointer { buffer in
            let kept = buffer.baseAddress!
            splitElements(n, pool) { r in
                if pg == pd {
                    for i in r { pd[i] = pd[i] * (kept[i] != 0 ? scale : 0) }
                } else {
                    for i in r { pd[i] = pg[i] * (kept[i] != 0 ? scale : 0) }
                }
            }
        }
    }
}
